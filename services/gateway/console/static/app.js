// parkdesk managers' console. Plain JavaScript, no build step, nothing from
// the internet: the page talks to the gateway's own /v1 API with the
// HttpOnly session cookie the console's sign-in set (see package console).
'use strict';
(function () {
  const root = document.documentElement;
  const DEV = root.dataset.dev === 'true';
  const TZ = 'Asia/Shanghai';
  const SH_OFFSET = 8 * 3600e3; // Asia/Shanghai has no daylight saving time
  const DAY = 864e5;

  // ---- strings ---------------------------------------------------------
  const STR = {
    zh: {
      'app.title': '园区服务中心 · 管理控制台',
      'app.short': '管理控制台',
      'nav.board': '实时看板', 'nav.figures': '办件指标', 'nav.officers': '驻企联络员', 'nav.policies': '政策兑现',
      'live.live': '实时', 'live.connecting': '连接中', 'live.down': '连接中断，重连中',
      'lang.toggle': 'EN', 'lang.toggle.title': 'Switch to English',
      'wall.on': '大屏', 'wall.off': '退出大屏', 'wall.title': '大屏展示模式',
      'signout': '退出', 'park.all': '全部园区',
      'role.manager': '园区管理者', 'role.admin': '平台管理员',
      'signin.title': '登录管理控制台', 'signin.lead': '请使用园区管理者的访问令牌登录。令牌只提交一次，保存在本站专用、脚本无法读取的 Cookie 中。',
      'signin.token': '访问令牌', 'signin.submit': '登录',
      'signin.dev': '开发环境：以演示经理身份登录', 'signin.devpage': '选择其他园区…',
      'signin.err.invalid': '令牌无效或已过期。', 'signin.err.role': '该令牌不是园区管理者或平台管理员的令牌。',
      'signin.err.https': '请通过 HTTPS 访问后再登录。', 'signin.err.origin': '请从控制台页面登录。',
      'signin.err.expired': '登录已过期，请重新登录。',
      'loading': '加载中…', 'retry': '重试',
      'state.unavailable': '尚未开放', 'state.unavailable.hint': '该模块所依赖的服务尚未接入网关，接入后此处将自动显示。',
      'state.down': '暂时无法访问', 'state.down.hint': '相关服务暂时不可用，请稍后重试。',
      'state.forbidden': '无权查看', 'state.forbidden.hint': '当前账号无权查看此内容。',
      'state.notfound': '未找到', 'state.notfound.hint': '没有找到对应的记录。',
      'state.error': '加载失败', 'state.error.hint': '请求出错。',
      'board.title': '未结预警与超时', 'board.subtitle': '红灯在前，按截止时间排序；实时更新，无需刷新',
      'board.red': '超时（红灯）', 'board.yellow': '预警（黄灯）', 'board.escalated': '已升级督办', 'board.last': '最近动态',
      'board.empty': '当前没有预警或超时办件。', 'board.truncated': '仅显示最紧急的前 {0} 条。',
      'col.state': '状态', 'col.ticket': '工单', 'col.matter': '事项', 'col.dept': '部门', 'col.kind': '时限类型',
      'col.deadline': '截止时间', 'col.remaining': '距截止', 'col.level': '督办',
      'st.red': '超时', 'st.yellow': '预警', 'st.green': '正常', 'st.stopped': '已办结', 'st.cancelled': '已取消',
      'rel.over': '已超 {0}', 'rel.left': '剩 {0}', 'level': '{0} 级',
      'feed.title': '实时动态', 'feed.empty': '等待新的预警或超时…',
      'ev.sla.clock.warned': '预警', 'ev.sla.clock.breached': '超时', 'ev.sla.clock.escalated': '升级督办',
      'kind.acceptance': '受理', 'kind.resolution': '办结', 'kind.stage': '环节', 'kind.liaison_response': '联络员响应',
      'kind.visit_cadence': '走访', 'kind.verification': '承诺核查', 'kind.rectification': '差评整改', 'kind.supplement': '容缺补正',
      'dev.clock': '开发时钟', 'dev.offset': '偏移', 'dev.apply': '拨动', 'dev.moved': '已拨动时钟',
      'dev.hint': '输入时长（如 36h）或时刻（RFC 3339）',
      'period.month': '本月', 'period.4w': '近 4 周', 'period.12w': '近 12 周',
      'fig.trend': '每周趋势（全园区）', 'fig.byDept': '各部门', 'fig.byMatter': '各事项', 'fig.cards': '部门得分与督办牌',
      'fig.period': '统计期间 {0} 至 {1}', 'fig.none': '该期间没有办结的办件。',
      'm.completed': '办结数', 'm.on_time_rate': '按期办结率', 'm.once_only_rate': '一次办结率', 'm.online_rate': '网上办率',
      'm.satisfaction': '满意度', 'm.score': '得分', 'm.yellow_cards': '黄牌', 'm.red_cards': '红牌', 'm.stage_overruns': '环节超时',
      'm.avg_working_days_used': '平均用时（工作日）', 'm.commitment_compression': '承诺时限压缩率', 'm.trend': '按期率走势',
      'off.title': '驻企联络员', 'off.officers': '联络员', 'off.unassigned': '未分配企业', 'off.waiting': '待认领诉求', 'off.atManager': '管理者处理中',
      'off.name': '联络员', 'off.status': '状态', 'off.load': '负载', 'off.open': '在办诉求', 'off.pending': '待签收',
      'off.overdue': '超时未签收', 'off.avgResp': '平均响应', 'off.maxResp': '最长响应', 'off.coverage': '重点企业走访覆盖',
      'off.visitOverdue': '走访逾期', 'off.promises': '未兑现承诺', 'off.minutes': '{0} 分钟',
      'off.st.active': '在岗', 'off.st.on_leave': '请假', 'off.st.left': '离岗',
      'pol.title': '政策兑现', 'pol.name': '政策', 'pol.dept': '部门', 'pol.budget': '预算', 'pol.used': '已兑现',
      'pol.usage': '预算使用', 'pol.uptake': '申请 / 兑现', 'pol.empty': '暂无政策。',
      'tk.back': '← 返回看板', 'tk.title': '工单时间线', 'tk.info': '受理信息', 'tk.clocks': '时限', 'tk.timeline': '时间线',
      'tk.number': '编号', 'tk.enterprise': '企业', 'tk.status': '状态', 'tk.stage': '环节', 'tk.submitted': '提交时间',
      'tk.noClocks': '该工单没有时限记录。',
      'tk.budget': '承诺 {0} 个工作日', 'tk.budgetHours': '承诺 {0} 个工作小时', 'tk.legal': '法定截止', 'tk.extension': '延期 {0} 个工作日',
      'tk.used': '已用 {0} 个工作日',
      'tl.started': '{0}计时开始', 'tl.paused': '{0}暂停计时（{1}）', 'tl.resumed': '{0}恢复计时', 'tl.warned': '{0}预警（黄灯）',
      'tl.breached': '{0}超时（红灯）', 'tl.stopped': '{0}办结', 'tl.stoppedLate': '{0}逾期办结', 'tl.stoppedEarly': '{0}提前办结',
      'tl.cancelled': '{0}计时取消', 'tl.deadline': '{0}承诺截止',
      'pause.correction': '补正', 'pause.public_notice': '公示', 'pause.hearing': '听证', 'pause.testing': '检验检测', 'pause.expert_review': '专家评审',
    },
    en: {
      'app.title': 'Park Service Centre · Manager Console',
      'app.short': 'Console',
      'nav.board': 'Live board', 'nav.figures': 'Figures', 'nav.officers': 'Liaison officers', 'nav.policies': 'Policies',
      'live.live': 'Live', 'live.connecting': 'Connecting', 'live.down': 'Disconnected, retrying',
      'lang.toggle': '中文', 'lang.toggle.title': '切换到中文',
      'wall.on': 'Wall', 'wall.off': 'Exit wall', 'wall.title': 'Wall display mode',
      'signout': 'Sign out', 'park.all': 'All parks',
      'role.manager': 'Park manager', 'role.admin': 'Administrator',
      'signin.title': 'Sign in to the console', 'signin.lead': 'Sign in with a park manager\u2019s access token. It is sent once and kept in an HttpOnly cookie for this site only, out of reach of scripts.',
      'signin.token': 'Access token', 'signin.submit': 'Sign in',
      'signin.dev': 'Dev stack: sign in as the demo manager', 'signin.devpage': 'Another park…',
      'signin.err.invalid': 'The token is invalid or expired.', 'signin.err.role': 'The token is not a park manager\u2019s or an administrator\u2019s.',
      'signin.err.https': 'Open the console over HTTPS to sign in.', 'signin.err.origin': 'Sign in from the console\u2019s page.',
      'signin.err.expired': 'Your session expired; please sign in again.',
      'loading': 'Loading…', 'retry': 'Retry',
      'state.unavailable': 'Not available yet', 'state.unavailable.hint': 'The service behind this section is not connected to the gateway yet; it appears here once it is.',
      'state.down': 'Temporarily unavailable', 'state.down.hint': 'The service is not answering; try again shortly.',
      'state.forbidden': 'Not allowed', 'state.forbidden.hint': 'Your account may not see this.',
      'state.notfound': 'Not found', 'state.notfound.hint': 'No such record.',
      'state.error': 'Could not load', 'state.error.hint': 'The request failed.',
      'board.title': 'Open warnings and breaches', 'board.subtitle': 'Breaches first, then by deadline; updates live without reloading',
      'board.red': 'Breached (red)', 'board.yellow': 'Warned (yellow)', 'board.escalated': 'Escalated', 'board.last': 'Last event',
      'board.empty': 'No open warnings or breaches.', 'board.truncated': 'Showing the {0} most urgent only.',
      'col.state': 'State', 'col.ticket': 'Ticket', 'col.matter': 'Matter', 'col.dept': 'Department', 'col.kind': 'Clock',
      'col.deadline': 'Deadline', 'col.remaining': 'To deadline', 'col.level': 'Escalation',
      'st.red': 'Breached', 'st.yellow': 'Warned', 'st.green': 'On track', 'st.stopped': 'Finished', 'st.cancelled': 'Cancelled',
      'rel.over': '{0} over', 'rel.left': '{0} left', 'level': 'level {0}',
      'feed.title': 'Live feed', 'feed.empty': 'Waiting for warnings or breaches…',
      'ev.sla.clock.warned': 'Warned', 'ev.sla.clock.breached': 'Breached', 'ev.sla.clock.escalated': 'Escalated',
      'kind.acceptance': 'Acceptance', 'kind.resolution': 'Resolution', 'kind.stage': 'Stage', 'kind.liaison_response': 'Liaison response',
      'kind.visit_cadence': 'Visit', 'kind.verification': 'Verification', 'kind.rectification': 'Rectification', 'kind.supplement': 'Supplement',
      'dev.clock': 'Dev clock', 'dev.offset': 'offset', 'dev.apply': 'Move', 'dev.moved': 'Clock moved',
      'dev.hint': 'a duration (36h) or an instant (RFC 3339)',
      'period.month': 'This month', 'period.4w': 'Last 4 weeks', 'period.12w': 'Last 12 weeks',
      'fig.trend': 'Weekly trend (whole park)', 'fig.byDept': 'By department', 'fig.byMatter': 'By matter', 'fig.cards': 'Department scores and cards',
      'fig.period': 'Period {0} to {1}', 'fig.none': 'Nothing was finished in this period.',
      'm.completed': 'Finished', 'm.on_time_rate': 'On time', 'm.once_only_rate': 'Once only', 'm.online_rate': 'Online',
      'm.satisfaction': 'Satisfaction', 'm.score': 'Score', 'm.yellow_cards': 'Yellow', 'm.red_cards': 'Red', 'm.stage_overruns': 'Stage overruns',
      'm.avg_working_days_used': 'Avg working days', 'm.commitment_compression': 'Commitment compression', 'm.trend': 'On-time trend',
      'off.title': 'Liaison officers', 'off.officers': 'Officers', 'off.unassigned': 'Unassigned firms', 'off.waiting': 'Waiting requests', 'off.atManager': 'With managers',
      'off.name': 'Officer', 'off.status': 'Status', 'off.load': 'Load', 'off.open': 'Open requests', 'off.pending': 'To acknowledge',
      'off.overdue': 'Overdue acks', 'off.avgResp': 'Avg response', 'off.maxResp': 'Max response', 'off.coverage': 'Key-firm visit coverage',
      'off.visitOverdue': 'Visits overdue', 'off.promises': 'Open promises', 'off.minutes': '{0} min',
      'off.st.active': 'Active', 'off.st.on_leave': 'On leave', 'off.st.left': 'Left',
      'pol.title': 'Policies', 'pol.name': 'Policy', 'pol.dept': 'Department', 'pol.budget': 'Budget', 'pol.used': 'Paid out',
      'pol.usage': 'Budget used', 'pol.uptake': 'Applied / paid', 'pol.empty': 'No policies.',
      'tk.back': '← Back to the board', 'tk.title': 'Ticket timeline', 'tk.info': 'Intake', 'tk.clocks': 'Clocks', 'tk.timeline': 'Timeline',
      'tk.number': 'Number', 'tk.enterprise': 'Enterprise', 'tk.status': 'Status', 'tk.stage': 'Stage', 'tk.submitted': 'Submitted',
      'tk.noClocks': 'This ticket has no SLA clocks.',
      'tk.budget': '{0} working days committed', 'tk.budgetHours': '{0} working hours committed', 'tk.legal': 'Legal deadline', 'tk.extension': 'extended by {0} working days',
      'tk.used': '{0} working days used',
      'tl.started': '{0} clock started', 'tl.paused': '{0} clock paused ({1})', 'tl.resumed': '{0} clock resumed', 'tl.warned': '{0} warning (yellow)',
      'tl.breached': '{0} breached (red)', 'tl.stopped': '{0} finished', 'tl.stoppedLate': '{0} finished late', 'tl.stoppedEarly': '{0} finished early',
      'tl.cancelled': '{0} clock cancelled', 'tl.deadline': '{0} deadline',
      'pause.correction': 'correction', 'pause.public_notice': 'public notice', 'pause.hearing': 'hearing', 'pause.testing': 'testing', 'pause.expert_review': 'expert review',
    },
  };

  function pref(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(key);
      localStorage.setItem(key, value);
    } catch (e) { /* storage disabled: preferences last for the page only */ }
    return null;
  }

  let lang = pref('pd.lang') === 'en' ? 'en' : 'zh';

  function t(key, ...args) {
    let s = STR[lang][key];
    if (s === undefined) s = STR.zh[key];
    if (s === undefined) return key;
    args.forEach((a, i) => { s = s.split('{' + i + '}').join(String(a)); });
    return s;
  }

  function tOr(key, fallback) {
    return STR[lang][key] !== undefined ? STR[lang][key] : fallback;
  }

  // ---- DOM helpers (text only: never innerHTML with data) ---------------
  function setProps(el, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k === 'data') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      el.append(k instanceof Node ? k : String(k));
    }
  }

  // fill replaces el's children, skipping null and false as h does.
  function fill(el, ...kids) {
    el.replaceChildren();
    append(el, kids);
    return el;
  }

  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    setProps(el, props);
    append(el, kids);
    return el;
  }

  function s(tag, attrs, ...kids) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    setProps(el, attrs);
    append(el, kids);
    return el;
  }

  // ---- formatting --------------------------------------------------------
  const fmts = {};
  function fmt(key, opts) {
    const k = key;
    if (!fmts[k]) fmts[k] = new Intl.DateTimeFormat('en-GB', Object.assign({ timeZone: TZ, hourCycle: 'h23' }, opts));
    return fmts[k];
  }
  function valid(iso) { return iso && !isNaN(Date.parse(iso)) && !iso.startsWith('0001-'); }
  // Times read the same in both languages: 2026-09-16 17:30, Asia/Shanghai.
  function parts(d) {
    const o = {};
    for (const p of fmt('p', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(d)) o[p.type] = p.value;
    if (o.hour === '24') o.hour = '00';
    return o;
  }
  function fmtTime(iso) {
    if (!valid(iso)) return '—';
    const p = parts(new Date(iso));
    return p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  }
  function fmtFull(iso) {
    if (!valid(iso)) return '—';
    const p = parts(new Date(iso));
    return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute;
  }
  function fmtDate(d) { const p = parts(d); return p.year + '-' + p.month + '-' + p.day; }
  function fmtDay(d) { const p = parts(d); return p.month + '-' + p.day; }
  function fmtClock(d) { const p = parts(d); return p.hour + ':' + p.minute + ':' + p.second; }
  function pct(v) { return v === null || v === undefined ? '—' : (Math.round(v * 1000) / 10).toFixed(1) + '%'; }
  function num(v, digits) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    return Number(v).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: digits === undefined ? 1 : digits });
  }
  function yuan(fen) {
    if (fen === null || fen === undefined || isNaN(fen)) return '—';
    return '¥' + (fen / 100).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', { maximumFractionDigits: 2 });
  }
  function duration(ms) {
    const m = Math.max(1, Math.round(Math.abs(ms) / 60000));
    const d = Math.floor(m / 1440), hr = Math.floor((m % 1440) / 60), mi = m % 60;
    const u = lang === 'zh' ? { d: '天', h: '小时', m: '分' } : { d: 'd', h: 'h', m: 'm' };
    const sep = lang === 'zh' ? '' : ' ';
    if (d > 0) return d + u.d + (hr ? sep + hr + u.h : '');
    if (hr > 0) return hr + u.h + (mi ? sep + mi + u.m : '');
    return mi + u.m;
  }
  // UUIDv7s share their leading (time) digits: keep the head and the random tail.
  function shortID(id) { return id && id.length > 13 ? id.slice(0, 4) + '…' + id.slice(-6) : (id || '—'); }
  function kindLabel(k) { return tOr('kind.' + k, k || '—'); }
  function stateLabel(st) { return tOr('st.' + st, st || '—'); }
  function deptLabel(code) {
    if (!code) return '—';
    return lang === 'zh' && state.catalog.depts.get(code) ? state.catalog.depts.get(code) : code;
  }
  function matterLabel(code) {
    if (!code) return '—';
    return lang === 'zh' && state.catalog.matters.get(code) ? state.catalog.matters.get(code) : code;
  }
  function pick(obj, keys) {
    for (const key of keys) {
      let v = obj;
      for (const part of key.split('.')) v = v === null || v === undefined ? undefined : v[part];
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return undefined;
  }

  // ---- API ---------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, problem, path) {
      super((problem && (problem.detail || problem.title)) || (status ? 'HTTP ' + status : 'network error'));
      this.status = status;
      this.problem = problem;
      this.path = path;
    }
  }

  async function api(path, opts) {
    opts = opts || {};
    const init = { method: opts.method || 'GET', credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (opts.body !== undefined) {
      init.body = JSON.stringify(opts.body);
      init.headers['Content-Type'] = 'application/json';
    }
    if (init.method !== 'GET' && init.method !== 'HEAD') init.headers['X-Parkdesk-Console'] = '1';
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (e) {
      throw new ApiError(0, null, path);
    }
    let body = null;
    if ((resp.headers.get('Content-Type') || '').includes('json')) {
      try { body = await resp.json(); } catch (e) { body = null; }
    }
    if (!resp.ok) {
      if (resp.status === 401 && !opts.quiet && state.session) sessionLost();
      throw new ApiError(resp.status, body, path);
    }
    return body;
  }

  function problemText(err) {
    const p = err.problem;
    if (p && Array.isArray(p.errors) && p.errors.length) return p.errors.map((e) => (e.field ? e.field + ': ' : '') + (e.reason || e.message || '')).join('; ');
    return err.message;
  }

  // The gateway's merged /openapi.json lists the paths of the services that
  // are routed and answering: a section whose path is missing is "not
  // available yet" rather than broken.
  let specPaths = null;
  async function loadSpec() {
    try {
      const r = await fetch('/openapi.json', { credentials: 'same-origin' });
      if (r.ok) specPaths = new Set(Object.keys((await r.json()).paths || {}));
    } catch (e) { /* keep what was known */ }
  }
  function documented(tpl) { return specPaths === null ? null : specPaths.has(tpl); }

  function sectionState(err, tpl) {
    if (err.status === 403) return 'forbidden';
    if (err.status === 0 || err.status === 404 || err.status === 501 || err.status === 502 || err.status === 503 || err.status === 504) {
      const doc = documented(tpl);
      if (doc === false) return 'unavailable';
      if (err.status === 404) return doc ? 'notfound' : 'unavailable';
      return 'down';
    }
    return 'error';
  }

  function notice(kind, err, onRetry) {
    return h('div', { class: 'notice notice-' + kind, data: { state: kind }, role: 'status' },
      h('strong', { text: t('state.' + kind) }),
      h('p', { class: 'muted', text: t('state.' + kind + '.hint') }),
      err && err.path ? h('p', { class: 'muted small mono', text: err.path + (err.status ? ' → ' + err.status : '') }) : null,
      onRetry ? h('button', { type: 'button', class: 'seg', onclick: onRetry, text: t('retry') }) : null);
  }

  function loading() { return h('p', { class: 'loading', text: t('loading') }); }

  // ---- state -------------------------------------------------------------
  const state = {
    session: null,
    clocks: new Map(), // open yellow and red clocks by id
    feed: [],
    live: 'connecting',
    lastEvent: null,
    snapshotError: null,
    truncated: 0,
    skew: 0, // server time − browser time (the dev stack's clock runs ahead)
    devClock: null,
    catalog: { matters: new Map(), depts: new Map() },
    figPeriod: 'month',
    wall: pref('pd.wall') === '1',
  };
  let renderSeq = 0; // a view's async results are dropped once another view renders

  function serverNow() { return Date.now() + state.skew; }

  // ---- session -----------------------------------------------------------
  async function boot() {
    applyLang();
    const params = new URLSearchParams(location.search);
    const failure = params.get('signin');
    if (failure) history.replaceState(null, '', location.pathname + location.hash);
    let info = null;
    try {
      info = await api('/console/session', { quiet: true });
    } catch (err) {
      renderSignIn(failure || null);
      return;
    }
    state.session = info;
    await Promise.all([loadSpec(), loadCatalog(), DEV ? refreshDevClock() : null]);
    startStream();
    setInterval(() => { if (state.session) loadBreaches(); }, 120000); // reconcile: drops clocks stopped since
    setInterval(() => { if (state.session && currentView() === 'board') renderBoardBody(); updateWallClock(); }, 30000);
    setInterval(updateWallClock, 1000);
    if (DEV) setInterval(() => { if (state.session) refreshDevClock(); }, 15000);
    route();
  }

  function sessionLost() {
    state.session = null;
    stopStream();
    renderSignIn('expired');
  }

  async function loadCatalog() {
    const [m, b] = await Promise.allSettled([api('/v1/catalog/matters', { quiet: true }), api('/v1/catalog/bundles', { quiet: true })]);
    if (m.status === 'fulfilled' && m.value) {
      for (const x of m.value.matters || m.value.items || []) {
        if (x.code && x.name) state.catalog.matters.set(x.code, x.name);
        if (x.department && x.department_name) state.catalog.depts.set(x.department, x.department_name);
      }
    }
    if (b.status === 'fulfilled' && b.value) {
      for (const x of b.value.bundles || b.value.items || []) if (x.code && x.name) state.catalog.matters.set(x.code, x.name);
    }
  }

  function renderSignIn(failure) {
    const app = document.getElementById('app');
    root.classList.remove('wall');
    document.body.classList.add('signin-page');
    const card = h('main', { class: 'signin-card', id: 'signin' },
      h('div', { class: 'signin-head' },
        h('h1', { text: t('signin.title') }),
        h('button', { type: 'button', class: 'seg', id: 'lang-toggle', title: t('lang.toggle.title'), onclick: () => { toggleLang(); renderSignIn(failure); }, text: t('lang.toggle') })),
      h('p', { class: 'muted', text: t('signin.lead') }),
      failure ? h('p', { class: 'error', role: 'alert', id: 'signin-error', text: tOr('signin.err.' + failure, t('signin.err.invalid')) }) : null,
      h('form', { method: 'post', action: '/console/session', class: 'stack' },
        h('label', { for: 'token', text: t('signin.token') }),
        h('textarea', { id: 'token', name: 'token', rows: 4, required: true, autocomplete: 'off', spellcheck: 'false' }),
        h('button', { type: 'submit', class: 'primary', id: 'signin-submit', text: t('signin.submit') })),
      DEV ? h('form', { method: 'post', action: '/console/dev/signin', class: 'dev-signin' },
        h('input', { type: 'hidden', name: 'park', value: 'wangcheng' }),
        h('button', { type: 'submit', id: 'dev-signin', class: 'dev', text: t('signin.dev') }),
        h('a', { href: '/console/dev/signin', text: t('signin.devpage') })) : null);
    app.replaceChildren(card);
  }

  // ---- language and wall mode --------------------------------------------
  function applyLang() {
    root.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = t('app.title');
  }
  function toggleLang() {
    lang = lang === 'zh' ? 'en' : 'zh';
    pref('pd.lang', lang);
    applyLang();
  }
  function toggleWall() {
    state.wall = !state.wall;
    pref('pd.wall', state.wall ? '1' : '0');
    route();
  }

  // ---- live stream -------------------------------------------------------
  let source = null;
  let retryDelay = 1000;
  let retryTimer = null;

  function startStream() {
    stopStream();
    setLive('connecting');
    const es = new EventSource('/v1/sla/stream');
    source = es;
    es.onopen = () => {
      retryDelay = 1000;
      setLive('live');
      loadBreaches(); // the stream does not replay what happened while away
    };
    for (const type of ['sla.clock.warned', 'sla.clock.breached', 'sla.clock.escalated']) es.addEventListener(type, onStreamEvent);
    es.onerror = () => {
      if (source !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // A refused stream (401, 503) is not retried by the browser.
        source = null;
        setLive('down');
        clearTimeout(retryTimer);
        retryTimer = setTimeout(reconnect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 30000);
      } else {
        setLive('connecting');
      }
    };
  }

  async function reconnect() {
    try {
      await api('/console/session', { quiet: true });
    } catch (err) {
      if (err.status === 401) { sessionLost(); return; }
    }
    if (state.session) startStream();
  }

  function stopStream() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = null;
  }

  const rank = { green: 0, yellow: 1, red: 2 };
  function worse(a, b) {
    if (!a) return b;
    if (!b) return a;
    return (rank[b] === undefined ? -1 : rank[b]) >= (rank[a] === undefined ? -1 : rank[a]) ? b : a;
  }

  function onStreamEvent(e) {
    let it;
    try { it = JSON.parse(e.data); } catch (err) { return; }
    if (!it || !it.clock_id) return;
    const prev = state.clocks.get(it.clock_id);
    const c = Object.assign({ id: it.clock_id }, prev || {});
    c.kind = it.kind || c.kind;
    c.ticket_id = it.ticket_id || c.ticket_id;
    c.department = it.department || c.department;
    c.park = it.park || c.park;
    if (valid(it.deadline)) c.deadline = it.deadline;
    c.state = worse(c.state, it.state);
    if (it.type === 'sla.clock.warned' && !c.warned_at) c.warned_at = it.occurred_at;
    if (it.type === 'sla.clock.breached' && !c.breached_at) c.breached_at = it.occurred_at;
    if (it.type === 'sla.clock.escalated') c.escalation_level = Math.max(c.escalation_level || 0, it.level || 0);
    c.fresh = Date.now();
    if (c.state === 'red' || c.state === 'yellow') {
      state.clocks.set(c.id, c);
      if (!prev) loadClockDetails(c.id);
    }
    state.feed.unshift(Object.assign({ received: Date.now() }, it));
    if (state.feed.length > 30) state.feed.length = 30;
    state.lastEvent = it.occurred_at;
    if (valid(it.occurred_at)) state.skew = Math.max(state.skew, Date.parse(it.occurred_at) - Date.now());
    if (DEV) refreshDevClockSoon();
    boardChanged();
  }

  // A stream item carries the clock's state, not its matter or officer:
  // a clock first seen on the stream is read once in full.
  async function loadClockDetails(id) {
    let c;
    try {
      c = await api('/v1/sla/clocks/' + encodeURIComponent(id), { quiet: true });
    } catch (err) { return; }
    const cur = state.clocks.get(id);
    if (!cur || !c) return;
    state.clocks.set(id, Object.assign({}, c, {
      state: worse(c.state, cur.state),
      escalation_level: Math.max(c.escalation_level || 0, cur.escalation_level || 0),
      fresh: cur.fresh,
    }));
    boardChanged();
  }

  let devTimer = null;
  function refreshDevClockSoon() {
    clearTimeout(devTimer);
    devTimer = setTimeout(refreshDevClock, 300);
  }

  let snapSeq = 0;
  async function loadBreaches() {
    const seq = ++snapSeq;
    const started = Date.now();
    const items = [];
    let total = 0;
    try {
      for (let page = 1; page <= 5; page++) {
        const r = await api('/v1/sla/breaches?page=' + page + '&page_size=200');
        items.push(...(r.items || []));
        total = r.total || 0;
        if (items.length >= total || !(r.items || []).length) break;
      }
    } catch (err) {
      if (seq === snapSeq) { state.snapshotError = err; boardChanged(); }
      return;
    }
    if (seq !== snapSeq) return;
    const next = new Map();
    for (const c of items) {
      const prev = state.clocks.get(c.id);
      const merged = Object.assign({}, c);
      if (prev && prev.fresh) {
        merged.fresh = prev.fresh;
        if (prev.fresh > started) {
          merged.state = worse(c.state, prev.state);
          merged.escalation_level = Math.max(c.escalation_level || 0, prev.escalation_level || 0);
        }
      }
      next.set(c.id, merged);
    }
    for (const [id, prev] of state.clocks) if (!next.has(id) && prev.fresh > started) next.set(id, prev);
    state.clocks = next;
    state.snapshotError = null;
    state.truncated = total > items.length ? items.length : 0;
    boardChanged();
  }

  function sortedClocks() {
    const far = 8.64e15;
    return [...state.clocks.values()].sort((a, b) =>
      (rank[b.state] || 0) - (rank[a.state] || 0) ||
      (valid(a.deadline) ? Date.parse(a.deadline) : far) - (valid(b.deadline) ? Date.parse(b.deadline) : far) ||
      String(a.id).localeCompare(String(b.id)));
  }

  function counts() {
    let red = 0, yellow = 0, escalated = 0;
    for (const c of state.clocks.values()) {
      if (c.state === 'red') red++;
      else if (c.state === 'yellow') yellow++;
      if ((c.escalation_level || 0) > 0) escalated++;
    }
    return { red, yellow, escalated };
  }

  function setLive(v) {
    state.live = v;
    const el = document.getElementById('live');
    if (el) {
      el.dataset.live = v;
      el.lastChild.textContent = t('live.' + v);
    }
  }

  function boardChanged() {
    const n = counts();
    const r = document.getElementById('count-red');
    const y = document.getElementById('count-yellow');
    if (r) r.textContent = n.red;
    if (y) y.textContent = n.yellow;
    if (currentView() === 'board') renderBoardBody();
  }

  // ---- dev clock (dev stack only) ----------------------------------------
  async function refreshDevClock() {
    try {
      state.devClock = await api('/v1/dev/clock', { quiet: true });
      applyDevClock();
    } catch (err) { /* shown as unknown */ }
  }
  function applyDevClock() {
    if (state.devClock && valid(state.devClock.now)) state.skew = Date.parse(state.devClock.now) - Date.now();
    const el = document.getElementById('dev-now');
    if (el) el.textContent = devNowText();
    updateWallClock();
  }
  function devNowText() {
    return state.devClock ? fmtFull(state.devClock.now) + '  (' + t('dev.offset') + ' ' + state.devClock.offset + ')' : '—';
  }
  function devPanel() {
    const input = h('input', { id: 'dev-clock-input', placeholder: '36h · 2026-09-18T10:00:00+08:00', size: 14, autocomplete: 'off', spellcheck: 'false', 'aria-label': t('dev.hint') });
    const msg = h('span', { class: 'dev-msg muted', id: 'dev-clock-msg', role: 'status' });
    async function move(v) {
      v = (v || '').trim();
      if (!v) return;
      const body = /^\d{4}-\d{2}-\d{2}T/.test(v) ? { set: v } : { advance: v };
      msg.textContent = '…';
      try {
        state.devClock = await api('/v1/dev/clock', { method: 'POST', body });
        applyDevClock();
        msg.textContent = t('dev.moved');
        input.value = '';
      } catch (err) {
        msg.textContent = problemText(err);
      }
    }
    return h('div', { class: 'panel dev', id: 'dev-clock' },
      h('h2', { text: t('dev.clock') }),
      h('p', { class: 'mono', id: 'dev-now', text: devNowText() }),
      h('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); move(input.value); } },
        input, h('button', { type: 'submit', id: 'dev-clock-apply', class: 'primary', text: t('dev.apply') })),
      h('div', { class: 'row' }, ['1h', '8h', '24h'].map((d) => h('button', { type: 'button', class: 'seg', onclick: () => move(d), text: '+' + d }))),
      msg);
  }

  // ---- shell and routing -------------------------------------------------
  function currentView() {
    if (!state.session) return null;
    const p = (location.hash || '#/board').slice(1).split('?')[0].split('/').filter(Boolean);
    return p[0] || 'board';
  }

  function updateWallClock() {
    const el = document.getElementById('wall-clock');
    if (el) el.textContent = fmtClock(new Date(serverNow()));
  }

  function shell() {
    const view = currentView();
    const n = counts();
    const ses = state.session;
    const nav = ['board', 'figures', 'officers', 'policies'].map((v) =>
      h('a', { href: '#/' + v, class: v === view ? 'active' : null, id: 'nav-' + v, text: t('nav.' + v) }));
    const header = h('header', { class: 'top' },
      h('div', { class: 'brand' },
        h('img', { src: '/console/assets/favicon.svg', alt: '', width: 28, height: 28 }),
        h('div', {},
          h('div', { class: 'title', text: t('app.title') }),
          h('div', { class: 'sub muted', text: (ses.park || t('park.all')) + ' · ' + tOr('role.' + ses.role, ses.role) + ' · ' + ses.subject }))),
      h('nav', { class: 'nav' }, nav),
      h('div', { class: 'tools' },
        h('span', { class: 'live', id: 'live', data: { live: state.live } }, h('span', { class: 'dot' }), h('span', { text: t('live.' + state.live) })),
        h('span', { class: 'mini red', title: t('board.red') }, h('span', { id: 'count-red', text: n.red })),
        h('span', { class: 'mini yellow', title: t('board.yellow') }, h('span', { id: 'count-yellow', text: n.yellow })),
        h('span', { class: 'wall-clock mono', id: 'wall-clock', text: fmtClock(new Date(serverNow())) }),
        h('button', { type: 'button', class: 'seg', id: 'lang-toggle', title: t('lang.toggle.title'), onclick: () => { toggleLang(); route(); }, text: t('lang.toggle') }),
        h('button', { type: 'button', class: 'seg', id: 'wall-toggle', title: t('wall.title'), onclick: toggleWall, text: state.wall ? t('wall.off') : t('wall.on') }),
        h('form', { method: 'post', action: '/console/signout', class: 'inline' }, h('button', { type: 'submit', class: 'seg', id: 'signout', text: t('signout') }))));
    return header;
  }

  function route() {
    if (!state.session) return;
    renderSeq++;
    document.body.classList.remove('signin-page');
    root.classList.toggle('wall', state.wall);
    const app = document.getElementById('app');
    const main = h('main', { id: 'main' });
    app.replaceChildren(shell(), main);
    const parts = (location.hash || '#/board').slice(1).split('?')[0].split('/').filter(Boolean);
    switch (parts[0] || 'board') {
      case 'figures': renderFigures(main, renderSeq); break;
      case 'officers': renderOfficers(main, renderSeq); break;
      case 'policies': renderPolicies(main, renderSeq); break;
      case 'ticket': renderTicket(main, renderSeq, decodeURIComponent(parts.slice(1).join('/'))); break;
      default: renderBoard(main);
    }
  }

  // ---- board -------------------------------------------------------------
  function renderBoard(main) {
    main.replaceChildren(
      h('section', { class: 'board', id: 'board' },
        h('div', { class: 'tiles', id: 'tiles' }),
        h('div', { class: 'board-grid' },
          h('div', { class: 'panel alerts' },
            h('div', { class: 'panel-head' }, h('h1', { text: t('board.title') }), h('span', { class: 'muted small', text: t('board.subtitle') })),
            h('div', { id: 'board-body' })),
          h('aside', { class: 'side' },
            h('div', { class: 'panel feed' }, h('h2', { text: t('feed.title') }), h('ul', { id: 'feed' })),
            DEV ? devPanel() : null))));
    renderBoardBody();
  }

  function renderBoardBody() {
    const body = document.getElementById('board-body');
    const tiles = document.getElementById('tiles');
    const feed = document.getElementById('feed');
    if (!body) return;
    const n = counts();
    tiles.replaceChildren(
      tile('red', n.red, t('board.red'), 'tile-red'),
      tile('yellow', n.yellow, t('board.yellow'), 'tile-yellow'),
      tile('escalated', n.escalated, t('board.escalated'), 'tile-escalated'),
      h('div', { class: 'tile tile-last' }, h('div', { class: 'tile-label', text: t('board.last') }), h('div', { class: 'tile-when mono', text: state.lastEvent ? fmtTime(state.lastEvent) : '—' })));

    if (state.snapshotError && state.clocks.size === 0) {
      body.replaceChildren(notice(sectionState(state.snapshotError, '/v1/sla/breaches'), state.snapshotError, loadBreaches));
    } else {
      const rows = sortedClocks();
      const now = serverNow();
      const table = h('table', { class: 'grid board-table', id: 'board-table' },
        h('thead', {}, h('tr', {}, ['col.state', 'col.ticket', 'col.matter', 'col.dept', 'col.kind', 'col.deadline', 'col.remaining', 'col.level'].map((k) => h('th', { text: t(k) })))),
        h('tbody', {}, rows.length ? rows.map((c) => boardRow(c, now)) : h('tr', { class: 'empty' }, h('td', { colspan: 8, text: t('board.empty') }))));
      fill(body, table, state.truncated ? h('p', { class: 'muted small', text: t('board.truncated', state.truncated) }) : null);
    }

    feed.replaceChildren(...(state.feed.length ? state.feed.slice(0, 12).map((it) =>
      h('li', { class: 'feed-item ev-' + it.type.split('.').pop(), data: { clockId: it.clock_id } },
        h('span', { class: 'mono when', text: fmtTime(it.occurred_at) }),
        h('span', { class: 'badge ' + (it.type === 'sla.clock.warned' ? 'yellow' : 'red'), text: tOr('ev.' + it.type, it.type) + (it.level ? ' · ' + t('level', it.level) : '') }),
        it.ticket_id ? h('a', { href: '#/ticket/' + encodeURIComponent(it.ticket_id), text: shortID(it.ticket_id) }) : h('span', { text: kindLabel(it.kind) }),
        h('span', { class: 'muted', text: deptLabel(it.department) })))
      : [h('li', { class: 'muted', text: t('feed.empty') })]));
  }

  function tile(id, value, label, cls) {
    return h('div', { class: 'tile ' + cls, id: 'tile-' + id }, h('div', { class: 'tile-value', text: value }), h('div', { class: 'tile-label', text: label }));
  }

  function boardRow(c, now) {
    let rel = '—';
    if (valid(c.deadline)) {
      const d = Date.parse(c.deadline) - now;
      rel = d < 0 ? t('rel.over', duration(d)) : t('rel.left', duration(d));
    }
    const fresh = c.fresh && Date.now() - c.fresh < 10000;
    return h('tr', { class: 'state-' + c.state + (fresh ? ' fresh' : ''), data: { clockId: c.id, ticketId: c.ticket_id || '', state: c.state, matter: c.matter_code || '' } },
      h('td', {}, h('span', { class: 'badge ' + c.state, text: stateLabel(c.state) })),
      h('td', { class: 'mono' }, c.ticket_id ? h('a', { href: '#/ticket/' + encodeURIComponent(c.ticket_id), class: 'ticket-link', title: c.ticket_id, text: shortID(c.ticket_id) }) : '—'),
      h('td', { text: matterLabel(c.matter_code) }),
      h('td', { text: deptLabel(c.department) }),
      h('td', { text: kindLabel(c.kind) }),
      h('td', { class: 'mono', text: fmtTime(c.deadline) }),
      h('td', { class: 'rel', text: rel }),
      h('td', { text: c.escalation_level ? t('level', c.escalation_level) : '—' }));
  }

  // ---- figures -----------------------------------------------------------
  const RATES = ['on_time_rate', 'once_only_rate', 'online_rate', 'satisfaction'];
  const SERIES_CLASS = { on_time_rate: 's1', once_only_rate: 's2', online_rate: 's3', satisfaction: 's4' };

  function weekRanges(now, n) {
    const local = new Date(now.getTime() + SH_OFFSET);
    const dow = (local.getUTCDay() + 6) % 7; // Monday is 0
    const monday = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() - dow) - SH_OFFSET;
    const out = [];
    for (let i = n - 1; i >= 0; i--) {
      const from = monday - i * 7 * DAY;
      const to = Math.min(from + 7 * DAY, now.getTime());
      if (to > from) out.push({ from: new Date(from), to: new Date(to) });
    }
    return out;
  }

  function overviewURL(by, from, to) {
    return '/v1/sla/overview?by=' + by + '&from=' + encodeURIComponent(from.toISOString()) + '&to=' + encodeURIComponent(to.toISOString());
  }

  async function renderFigures(main, seq) {
    const period = state.figPeriod;
    const body = h('div', { id: 'figures-body' }, loading());
    main.replaceChildren(h('section', { class: 'figures', id: 'figures' },
      h('div', { class: 'panel-head' }, h('h1', { text: t('nav.figures') }),
        h('div', { class: 'row' }, ['month', '4w', '12w'].map((p) =>
          h('button', { type: 'button', class: 'seg' + (p === period ? ' active' : ''), onclick: () => { state.figPeriod = p; route(); }, text: t('period.' + p) })))),
      body));
    let base;
    try {
      base = await api('/v1/sla/overview?by=park');
    } catch (err) {
      if (seq === renderSeq) body.replaceChildren(notice(sectionState(err, '/v1/sla/overview'), err, route));
      return;
    }
    if (seq !== renderSeq) return;
    const now = new Date(base.to);
    const from = period === 'month' ? new Date(base.from) : new Date(now.getTime() - (period === '4w' ? 28 : 84) * DAY);
    const weeks = weekRanges(now, period === '12w' ? 12 : 8);
    const calls = [api(overviewURL('department', from, now)), api(overviewURL('matter', from, now))]
      .concat(weeks.map((w) => api(overviewURL('park', w.from, w.to))))
      .concat(weeks.map((w) => api(overviewURL('department', w.from, w.to))));
    const res = await Promise.allSettled(calls);
    if (seq !== renderSeq) return;
    if (res[0].status === 'rejected') {
      body.replaceChildren(notice(sectionState(res[0].reason, '/v1/sla/overview'), res[0].reason, route));
      return;
    }
    const byDept = res[0].value.groups || [];
    const byMatter = res[1].status === 'fulfilled' ? res[1].value.groups || [] : [];
    const parkWeeks = res.slice(2, 2 + weeks.length).map((r) => (r.status === 'fulfilled' ? (r.value.groups || [])[0] || null : null));
    const deptWeeks = res.slice(2 + weeks.length).map((r) => (r.status === 'fulfilled' ? r.value.groups || [] : []));

    body.replaceChildren(
      h('p', { class: 'muted', id: 'figures-period', text: t('fig.period', fmtDate(from), fmtDate(now)) }),
      h('div', { class: 'panel' }, h('h2', { text: t('fig.trend') }), trendChart(weeks, parkWeeks)),
      h('div', { class: 'panel' }, h('h2', { text: t('fig.cards') }), deptCards(byDept)),
      h('div', { class: 'panel' }, h('h2', { text: t('fig.byDept') }), deptTable(byDept, deptWeeks)),
      h('div', { class: 'panel' }, h('h2', { text: t('fig.byMatter') }), matterTable(byMatter)));
  }

  function trendChart(weeks, rows) {
    const W = 720, H = 240, L = 44, R = 28, T = 12, B = 34;
    const x = (i) => L + (weeks.length <= 1 ? 0 : (i * (W - L - R)) / (weeks.length - 1));
    const y = (v) => T + (1 - v) * (H - T - B);
    const g = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': t('fig.trend'), id: 'trend-chart' });
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      g.append(s('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), class: 'gridline' }));
      g.append(s('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, Math.round(v * 100) + '%'));
    }
    weeks.forEach((w, i) => g.append(s('text', { x: x(i), y: H - 10, class: 'axis', 'text-anchor': 'middle' }, fmtDay(w.from))));
    for (const key of RATES) {
      let seg = [];
      const flush = () => {
        if (seg.length > 1) g.append(s('polyline', { points: seg.join(' '), class: 'series ' + SERIES_CLASS[key], fill: 'none' }));
        seg = [];
      };
      rows.forEach((r, i) => {
        const v = r ? r[key] : null;
        if (v === null || v === undefined) { flush(); return; }
        seg.push(x(i) + ',' + y(v));
        g.append(s('circle', { cx: x(i), cy: y(v), r: 3.5, class: 'point ' + SERIES_CLASS[key] }, s('title', {}, t('m.' + key) + ' ' + fmtDay(weeks[i].from) + ': ' + pct(v))));
      });
      flush();
    }
    const legend = h('div', { class: 'legend' }, RATES.map((k) => h('span', { class: 'key ' + SERIES_CLASS[k] }, h('i'), t('m.' + k))));
    const empty = rows.every((r) => !r || !r.completed) ? h('p', { class: 'muted small', text: t('fig.none') }) : null;
    return h('div', { class: 'chart-wrap' }, g, legend, empty);
  }

  function sparkline(values) {
    const W = 120, H = 28;
    const g = s('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'spark' });
    const pts = [];
    values.forEach((v, i) => {
      if (v === null || v === undefined) return;
      const px = values.length <= 1 ? 0 : (i * (W - 4)) / (values.length - 1) + 2;
      pts.push(px + ',' + (2 + (1 - v) * (H - 4)));
    });
    if (pts.length > 1) g.append(s('polyline', { points: pts.join(' '), class: 'series s1', fill: 'none' }));
    if (pts.length) {
      const [lx, ly] = pts[pts.length - 1].split(',');
      g.append(s('circle', { cx: lx, cy: ly, r: 2.5, class: 'point s1' }));
    }
    return g;
  }

  function deptCards(rows) {
    if (!rows.length) return h('p', { class: 'muted', text: t('fig.none') });
    const sorted = rows.slice().sort((a, b) => (a.score === undefined ? 100 : a.score) - (b.score === undefined ? 100 : b.score));
    return h('div', { class: 'cards', id: 'dept-cards' }, sorted.map((r) =>
      h('div', { class: 'card' + ((r.score || 100) < 80 ? ' low' : '') },
        h('div', { class: 'card-title', text: deptLabel(r.key) }),
        h('div', { class: 'card-score', text: num(r.score, 0) }),
        h('div', { class: 'card-sub muted', text: t('m.on_time_rate') + ' ' + pct(r.on_time_rate) }),
        h('div', { class: 'chips' },
          h('span', { class: 'chip yellow', title: t('m.yellow_cards'), text: t('m.yellow_cards') + ' ' + (r.yellow_cards || 0) }),
          h('span', { class: 'chip red', title: t('m.red_cards'), text: t('m.red_cards') + ' ' + (r.red_cards || 0) })))));
  }

  function rateCell(v) {
    const cls = v === null || v === undefined ? '' : v >= 0.95 ? 'good' : v >= 0.8 ? 'fair' : 'poor';
    return h('td', { class: 'num ' + cls, text: pct(v) });
  }

  function deptTable(rows, weekly) {
    if (!rows.length) return h('p', { class: 'muted', text: t('fig.none') });
    const trend = (key) => weekly.map((groups) => { const g = groups.find((x) => x.key === key); return g ? g.on_time_rate : null; });
    return h('div', { class: 'scroll' }, h('table', { class: 'grid', id: 'dept-table' },
      h('thead', {}, h('tr', {}, h('th', { text: t('col.dept') }), ['completed', 'on_time_rate', 'once_only_rate', 'online_rate', 'satisfaction', 'stage_overruns', 'yellow_cards', 'red_cards', 'score', 'trend'].map((k) => h('th', { text: t('m.' + k) })))),
      h('tbody', {}, rows.map((r) => h('tr', { data: { key: r.key } },
        h('td', { text: deptLabel(r.key) }),
        h('td', { class: 'num', text: num(r.completed, 0) }),
        RATES.map((k) => rateCell(r[k])),
        h('td', { class: 'num', text: num(r.stage_overruns, 0) }),
        h('td', { class: 'num' }, h('span', { class: 'chip yellow', text: r.yellow_cards || 0 })),
        h('td', { class: 'num' }, h('span', { class: 'chip red', text: r.red_cards || 0 })),
        h('td', { class: 'num strong', text: num(r.score, 0) }),
        h('td', {}, sparkline(trend(r.key))))))));
  }

  function matterTable(rows) {
    if (!rows.length) return h('p', { class: 'muted', text: t('fig.none') });
    return h('div', { class: 'scroll' }, h('table', { class: 'grid', id: 'matter-table' },
      h('thead', {}, h('tr', {}, h('th', { text: t('col.matter') }), ['completed', 'on_time_rate', 'once_only_rate', 'online_rate', 'satisfaction', 'avg_working_days_used', 'commitment_compression'].map((k) => h('th', { text: t('m.' + k) })))),
      h('tbody', {}, rows.map((r) => h('tr', { data: { key: r.key } },
        h('td', { text: matterLabel(r.key) }),
        h('td', { class: 'num', text: num(r.completed, 0) }),
        RATES.map((k) => rateCell(r[k])),
        h('td', { class: 'num', text: num(r.avg_working_days_used, 1) }),
        h('td', { class: 'num', text: pct(r.commitment_compression) }))))));
  }

  // ---- officers (liaison service) ----------------------------------------
  async function renderOfficers(main, seq) {
    const body = h('div', { id: 'officers-body' }, loading());
    main.replaceChildren(h('section', { class: 'officers', id: 'officers' }, h('div', { class: 'panel-head' }, h('h1', { text: t('off.title') })), body));
    const spec = loadSpec(); // services land while the page is open
    let o;
    try {
      o = await api('/v1/liaison/overview');
    } catch (err) {
      await spec;
      if (seq === renderSeq) body.replaceChildren(notice(sectionState(err, '/v1/liaison/overview'), err, route));
      return;
    }
    if (seq !== renderSeq) return;
    const officers = (o.officers || []).slice().sort((a, b) => (b.overdue_acknowledgements || 0) - (a.overdue_acknowledgements || 0) || (b.load || 0) - (a.load || 0));
    const unassigned = Array.isArray(o.unassigned_firms) ? o.unassigned_firms.length : o.unassigned_firms;
    body.replaceChildren(
      h('div', { class: 'tiles' },
        tile('officers', officers.length, t('off.officers'), ''),
        tile('unassigned', num(unassigned, 0), t('off.unassigned'), unassigned ? 'tile-yellow' : ''),
        tile('waiting', num(o.waiting_requests, 0), t('off.waiting'), ''),
        tile('at-manager', num(o.requests_at_manager, 0), t('off.atManager'), o.requests_at_manager ? 'tile-red' : '')),
      h('div', { class: 'panel scroll' }, h('table', { class: 'grid', id: 'officers-table' },
        h('thead', {}, h('tr', {}, ['off.name', 'off.status', 'off.load', 'off.open', 'off.pending', 'off.overdue', 'off.avgResp', 'off.maxResp', 'off.coverage', 'off.visitOverdue', 'off.promises'].map((k) => h('th', { text: t(k) })))),
        h('tbody', {}, officers.map((r) => {
          const cap = r.cap || 0;
          const load = r.load !== undefined ? r.load : r.firms;
          return h('tr', {},
            h('td', { text: r.name || shortID(r.officer_id) }),
            h('td', { text: tOr('off.st.' + r.status, r.status || '—') }),
            h('td', {}, meter(load, cap), h('span', { class: 'small mono', text: ' ' + num(load, 0) + (cap ? ' / ' + cap : '') })),
            h('td', { class: 'num', text: num(r.open_requests, 0) }),
            h('td', { class: 'num', text: num(r.pending_acknowledgements, 0) }),
            h('td', { class: 'num' + (r.overdue_acknowledgements ? ' poor strong' : ''), text: num(r.overdue_acknowledgements, 0) }),
            h('td', { class: 'num', text: r.avg_response_minutes === null || r.avg_response_minutes === undefined ? '—' : t('off.minutes', num(r.avg_response_minutes, 0)) }),
            h('td', { class: 'num', text: r.max_response_minutes === null || r.max_response_minutes === undefined ? '—' : t('off.minutes', num(r.max_response_minutes, 0)) }),
            h('td', { class: 'num' }, pct(r.visit_coverage), h('span', { class: 'muted small', text: ' (' + num(r.key_firms_visited, 0) + '/' + num(r.key_firms, 0) + ')' })),
            h('td', { class: 'num' + (r.key_firms_visit_overdue ? ' poor' : ''), text: num(r.key_firms_visit_overdue, 0) }),
            h('td', { class: 'num', text: num(r.open_promises, 0) + (r.overdue_promises ? ' (' + r.overdue_promises + '!)' : '') }));
        })))));
  }

  function meter(value, max) {
    const m = h('meter', { min: 0, max: max || Math.max(value || 0, 1), value: value || 0, low: (max || 1) * 0.8, high: (max || 1) * 0.95, optimum: 0 });
    return m;
  }

  // ---- policies (policy service) -----------------------------------------
  async function renderPolicies(main, seq) {
    const body = h('div', { id: 'policies-body' }, loading());
    main.replaceChildren(h('section', { class: 'policies', id: 'policies' }, h('div', { class: 'panel-head' }, h('h1', { text: t('pol.title') })), body));
    const spec = loadSpec();
    let r;
    try {
      r = await api('/v1/policies');
    } catch (err) {
      await spec;
      if (seq === renderSeq) body.replaceChildren(notice(sectionState(err, '/v1/policies'), err, route));
      return;
    }
    if (seq !== renderSeq) return;
    const list = Array.isArray(r) ? r : (r && (r.policies || r.items)) || [];
    if (!list.length) { body.replaceChildren(h('p', { class: 'muted', text: t('pol.empty') })); return; }
    body.replaceChildren(h('div', { class: 'panel scroll' }, h('table', { class: 'grid', id: 'policies-table' },
      h('thead', {}, h('tr', {}, ['pol.name', 'pol.dept', 'pol.budget', 'pol.used', 'pol.usage', 'pol.uptake'].map((k) => h('th', { text: t(k) })))),
      h('tbody', {}, list.map((p) => {
        const budget = pick(p, ['budget_fen', 'budget_total_fen', 'budget.total_fen', 'budget.budget_fen']);
        const used = pick(p, ['used_fen', 'budget_used_fen', 'disbursed_fen', 'budget.used_fen', 'budget.disbursed_fen']);
        const applied = pick(p, ['applications', 'application_count', 'uptake.applications', 'applied']);
        const paid = pick(p, ['disbursements', 'disbursed_count', 'uptake.disbursed', 'granted']);
        return h('tr', {},
          h('td', { text: pick(p, ['title', 'name', 'code', 'id']) || '—' }),
          h('td', { text: deptLabel(pick(p, ['department', 'department_code'])) }),
          h('td', { class: 'num', text: yuan(budget) }),
          h('td', { class: 'num', text: yuan(used) }),
          h('td', {}, budget ? meter(used || 0, budget) : null, h('span', { class: 'small', text: budget ? ' ' + pct((used || 0) / budget) : '—' })),
          h('td', { class: 'num', text: (applied === undefined ? '—' : num(applied, 0)) + ' / ' + (paid === undefined ? '—' : num(paid, 0)) }));
      })))));
  }

  // ---- ticket timeline ---------------------------------------------------
  async function renderTicket(main, seq, id) {
    const info = h('div', { class: 'panel', id: 'ticket-info' }, h('h2', { text: t('tk.info') }), loading());
    const clocks = h('div', { class: 'panel', id: 'ticket-clocks' }, h('h2', { text: t('tk.clocks') }), loading());
    const timeline = h('div', { class: 'panel', id: 'ticket-timeline' }, h('h2', { text: t('tk.timeline') }), loading());
    main.replaceChildren(h('section', { class: 'ticket', id: 'ticket', data: { ticketId: id } },
      h('a', { href: '#/board', class: 'back', text: t('tk.back') }),
      h('h1', {}, t('tk.title') + ' ', h('span', { class: 'mono', text: id })),
      h('div', { class: 'ticket-grid' }, h('div', {}, info, clocks), timeline)));
    const enc = encodeURIComponent(id);
    const [cr, tr] = await Promise.allSettled([api('/v1/sla/clocks?ticket_id=' + enc), api('/v1/tickets/' + enc), loadSpec()]);
    if (seq !== renderSeq) return;
    const entries = [];

    if (tr.status === 'fulfilled' && tr.value) {
      const tk = tr.value;
      info.replaceChildren(h('h2', { text: t('tk.info') }), h('dl', { class: 'facts' },
        fact(t('tk.number'), tk.number || '—'), fact(t('tk.enterprise'), tk.enterprise_name || tk.enterprise_id || '—'),
        fact(t('col.matter'), tk.title || matterLabel(tk.matter_code || tk.bundle_code)), fact(t('tk.status'), tk.status || '—'),
        fact(t('tk.stage'), tk.stage || '—'), fact(t('tk.submitted'), fmtFull(tk.submitted_at))));
      for (const e of tk.timeline || []) entries.push({ at: e.at, tone: 'info', text: e.summary || e.type, sub: e.actor || '' });
    } else {
      info.replaceChildren(h('h2', { text: t('tk.info') }), notice(sectionState(tr.reason, '/v1/tickets/{id}'), tr.reason));
    }

    if (cr.status === 'fulfilled') {
      const list = (cr.value && cr.value.clocks) || [];
      clocks.replaceChildren(h('h2', { text: t('tk.clocks') }), list.length ? h('div', { class: 'clock-cards' }, list.map(clockCard)) : h('p', { class: 'muted', text: t('tk.noClocks') }));
      for (const c of list) entries.push(...clockEntries(c));
    } else {
      clocks.replaceChildren(h('h2', { text: t('tk.clocks') }), notice(sectionState(cr.reason, '/v1/sla/clocks'), cr.reason));
    }

    entries.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    timeline.replaceChildren(h('h2', { text: t('tk.timeline') }), entries.length
      ? h('ol', { class: 'timeline', id: 'timeline' }, entries.map((e) => h('li', { class: 'tl tl-' + e.tone + (e.future ? ' future' : ''), data: { tone: e.tone } },
        h('span', { class: 'tl-when mono', text: fmtFull(e.at) }),
        h('span', { class: 'tl-text', text: e.text }),
        e.sub ? h('span', { class: 'tl-sub muted', text: e.sub }) : null)))
      : h('p', { class: 'muted', text: t('tk.noClocks') }));
  }

  function fact(k, v) { return [h('dt', { text: k }), h('dd', { text: v })]; }

  function clockCard(c) {
    const budget = c.kind === 'liaison_response' ? t('tk.budgetHours', c.budget) : t('tk.budget', c.budget);
    return h('div', { class: 'clock-card state-' + c.state, data: { clockId: c.id } },
      h('div', { class: 'row' }, h('strong', { text: kindLabel(c.kind) }), h('span', { class: 'badge ' + c.state, text: stateLabel(c.state) }),
        c.escalation_level ? h('span', { class: 'badge red', text: t('level', c.escalation_level) }) : null),
      h('dl', { class: 'facts' },
        fact(t('col.deadline'), fmtFull(c.deadline)),
        valid(c.legal_deadline) ? fact(t('tk.legal'), fmtFull(c.legal_deadline)) : null,
        fact(t('col.dept'), deptLabel(c.department)),
        fact(t('col.matter'), matterLabel(c.matter_code))),
      h('p', { class: 'muted small', text: budget + (c.extension_days ? ' · ' + t('tk.extension', c.extension_days) : '') + (c.used_working_days ? ' · ' + t('tk.used', num(c.used_working_days, 1)) : '') }));
  }

  function clockEntries(c) {
    const k = kindLabel(c.kind);
    const out = [];
    const add = (at, tone, text, future) => { if (valid(at)) out.push({ at, tone, text, sub: deptLabel(c.department), future }); };
    add(c.started_at, 'info', t('tl.started', k) + ' · ' + (c.kind === 'liaison_response' ? t('tk.budgetHours', c.budget) : t('tk.budget', c.budget)));
    for (const p of c.pauses || []) {
      add(p.from, 'pause', t('tl.paused', k, tOr('pause.' + p.reason, p.reason)));
      add(p.to, 'info', t('tl.resumed', k));
    }
    add(c.warned_at, 'yellow', t('tl.warned', k));
    add(c.breached_at, 'red', t('tl.breached', k));
    if (valid(c.stopped_at)) add(c.stopped_at, c.stopped_late ? 'red' : 'green', t(c.stopped_late ? 'tl.stoppedLate' : c.stopped_early ? 'tl.stoppedEarly' : 'tl.stopped', k));
    add(c.cancelled_at, 'muted', t('tl.cancelled', k));
    if (c.state === 'green' || c.state === 'yellow' || c.state === 'red') add(c.deadline, 'deadline', t('tl.deadline', k), Date.parse(c.deadline) > serverNow());
    return out;
  }

  // ---- start -------------------------------------------------------------
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.wall) toggleWall(); });
  boot();
})();
