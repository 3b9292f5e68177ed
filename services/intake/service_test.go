package intake_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/auth"
	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/pkg/httpx"
	"github.com/parkdesk/parkdesk/proto/intakepb"
	"github.com/parkdesk/parkdesk/services/intake"
)

func status(err error) int { return httpx.StatusOf(err) }

func TestRegisterEnterprise(t *testing.T) {
	e := newEnv(t)
	valid, _ := intake.SyntheticUSCC("430112", "4ZZ001")
	if valid == "" {
		valid, _ = intake.SyntheticUSCC("430112", "4TT001")
	}
	in := intake.EnterpriseInput{USCC: valid, Name: "湖南测试新材料有限公司", IndustryCode: "C3985", Scale: "small",
		Flags: []string{"specialized-sme"}, Figures: &intake.Figures{Year: 2025, RevenueFen: 100, Headcount: 12}}
	cases := []struct {
		name   string
		p      auth.Principal
		mutate func(*intake.EnterpriseInput)
		status int
		field  string
	}{
		{"staff registers in own park", asStaff, nil, 200, ""},
		{"duplicate USCC", asStaff, nil, 409, ""},
		{"bad check digit", asStaff, func(in *intake.EnterpriseInput) { in.USCC = in.USCC[:17] + "0" }, 400, "uscc"},
		{"staff of another park", asStaff, func(in *intake.EnterpriseInput) { in.Park = "liling" }, 403, ""},
		{"admin without park", asAdmin, nil, 400, "park"},
		{"unknown park", asAdmin, func(in *intake.EnterpriseInput) { in.Park = "atlantis" }, 400, "park"},
		{"firms do not register firms", asFirmA, nil, 403, ""},
		{"managers do not register firms", asManager, nil, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := in
			if c.mutate != nil {
				c.mutate(&x)
			}
			got, err := e.svc.RegisterEnterprise(as(c.p), x)
			if status(err) != c.status {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.status)
			}
			if c.field != "" {
				if _, ok := fields(t, err)[c.field]; !ok {
					t.Fatalf("%v does not name %s", err, c.field)
				}
			}
			if c.status == 200 && (got.Park != park || got.USCC != valid || got.Version != 1) {
				t.Fatalf("registered %+v", got)
			}
		})
	}
	// Exactly one firm with that USCC and one registered event for it.
	if n := e.count(`SELECT count(*) FROM enterprises WHERE uscc = $1`, valid); n != 1 {
		t.Fatalf("%d firms with the USCC", n)
	}
}

func TestEnterpriseScope(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		p    auth.Principal
		id   string
		want int
	}{
		{"the firm itself", asFirmA, firmA, 200},
		{"another firm", asFirmB, firmA, 404},
		{"staff of the park", asStaff, firmA, 200},
		{"manager of another park", asLilingManager, firmA, 404},
		{"liaison not assigned", asLiaison, firmA, 404},
		{"admin", asAdmin, firmA, 200},
		{"not a uuid", asAdmin, "nope", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.Enterprise(as(c.p), c.id)
			if status(err) != c.want {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.want)
			}
		})
	}
	// Once liaison assigns the officer, the officer sees the firm and lists it.
	assign(t, e, versions{}, firmA, asLiaison.OfficerID)
	got, err := e.svc.Enterprise(as(asLiaison), firmA)
	if err != nil || got.Liaison.OfficerID != asLiaison.OfficerID {
		t.Fatalf("liaison view: %+v, %v", got.Liaison, err)
	}
	page, err := e.svc.Enterprises(as(asLiaison), intake.EnterpriseQuery{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != firmA {
		t.Fatalf("liaison list: %+v, %v", page.Items, err)
	}
}

func TestEnterpriseListPages(t *testing.T) {
	e := newEnv(t)
	var ids []string
	q := intake.EnterpriseQuery{Limit: 7}
	for {
		page, err := e.svc.Enterprises(as(asManager), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if it.Park != park {
				t.Fatalf("manager of %s listed a firm of %s", park, it.Park)
			}
			ids = append(ids, it.ID)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	want := e.count(`SELECT count(*) FROM enterprises WHERE park = $1`, park)
	if len(ids) != want || !sort.StringsAreSorted(ids) {
		t.Fatalf("paged %d firms (sorted %v), want %d", len(ids), sort.StringsAreSorted(ids), want)
	}
}

func TestProfileChangeIsAnEvent(t *testing.T) {
	e := newEnv(t)
	flags := []string{"high-tech", "listed", "specialized-sme"}
	got, err := e.svc.UpdateEnterprise(as(asStaff), firmA, intake.EnterprisePatch{Flags: &flags})
	if err != nil || !equal(got.Flags, flags) || got.Version != 2 {
		t.Fatalf("patched %+v, %v", got, err)
	}
	// The firm may declare its figures, not its flags.
	fig := intake.Figures{Year: 2026, RevenueFen: 5, TaxPaidFen: 1, RDRatioPercent: 4.5, LandAreaMu: 12.25, Headcount: 3}
	if _, err := e.svc.UpdateEnterprise(as(asFirmA), firmA, intake.EnterprisePatch{Figures: &fig}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateEnterprise(as(asFirmA), firmA, intake.EnterprisePatch{Flags: &flags}); status(err) != 400 {
		t.Fatalf("firm changed its flags: %v", err)
	}
	if _, err := e.svc.UpdateEnterprise(as(asFirmB), firmA, intake.EnterprisePatch{Figures: &fig}); status(err) != 404 {
		t.Fatalf("another firm changed the figures: %v", err)
	}
	// An unchanged patch publishes nothing.
	if _, err := e.svc.UpdateEnterprise(as(asStaff), firmA, intake.EnterprisePatch{Flags: &flags}); err != nil {
		t.Fatal(err)
	}
	evs := e.outbox(firmA)
	if !equal(typesOf(evs), []string{event.EnterpriseRegistered, event.EnterpriseProfileChanged, event.EnterpriseProfileChanged}) {
		t.Fatalf("events %v", typesOf(evs))
	}
	last := evs[2].Payload.(*intakepb.EnterpriseProfileChanged)
	if !equal(last.GetChangedFields(), []string{"figures"}) || last.GetFigures().GetLandAreaMu() != 12.25 ||
		!equal(last.GetFlags(), flags) || evs[2].AggregateVersion != 3 {
		t.Fatalf("profile event %+v v%d", last, evs[2].AggregateVersion)
	}
}

func typesOf(evs []event.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Type)
	}
	return out
}

func TestSubmitMatterCarriesCatalogTerms(t *testing.T) {
	e := newEnv(t)
	req := intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asFirmA, constructionPermitAll...)}
	tk := e.submit(asFirmA, "k1", req)
	if !strings.HasPrefix(tk.Number, "WCJK-2026-") || tk.Status != intake.StatusSubmitted || tk.Channel != intake.ChannelOnline ||
		tk.Supplement != nil || len(tk.Items) != 1 || len(tk.Materials) != 5 || len(tk.Timeline) != 1 {
		t.Fatalf("ticket %+v", tk)
	}
	evs := e.outbox(tk.ID)
	if len(evs) != 1 || evs[0].Type != event.TicketSubmitted || evs[0].AggregateVersion != 1 || evs[0].Park != park {
		t.Fatalf("events %v", typesOf(evs))
	}
	p := evs[0].Payload.(*intakepb.TicketSubmitted)
	if p.GetNumber() != tk.Number || p.GetCommitmentWorkingDays() != 3 || p.GetLegalWorkingDays() != 15 || p.GetWarnWorkingDays() != 1 ||
		!equal(p.GetMatterCodes(), []string{"construction-permit"}) || !equal(p.GetDepartments(), []string{"housing"}) ||
		p.GetKind() != intakepb.TicketKind_TICKET_KIND_MATTER || p.GetChannel() != intakepb.Channel_CHANNEL_ONLINE ||
		len(p.GetItems()) != 1 || !p.GetItems()[0].GetTolerantAcceptance() || len(p.GetMaterials()) != 5 ||
		!strings.HasPrefix(p.GetMaterials()[0].GetRef(), "nats-os://") {
		t.Fatalf("submitted payload %+v", p)
	}
}

func TestSubmitMaterialRules(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name       string
		p          auth.Principal
		req        intake.SubmitRequest
		status     int
		fields     []string
		supplement []string
	}{
		{"every missing key material at once", asFirmA,
			intake.SubmitRequest{BundleCode: "business-startup", Materials: e.materials(asFirmA, "premises-proof", "bank-account")},
			422, []string{"materials.application-form", "materials.articles", "materials.id-documents", "materials.business-license-copy", "materials.legal-rep-id"}, nil},
		{"non-key missing without tolerant acceptance", asFirmA,
			intake.SubmitRequest{BundleCode: "business-startup", Materials: e.materials(asFirmA, "application-form", "articles",
				"id-documents", "business-license-copy", "legal-rep-id")},
			422, []string{"materials.premises-proof", "materials.bank-account"}, nil},
		{"tolerant acceptance", asFirmA,
			intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asFirmA, "application-form",
				"planning-permit", "construction-contract")},
			200, nil, []string{"funds-proof", "safety-plan"}},
		{"no tolerant acceptance for a bad-credit firm", asBadFirm,
			intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asBadFirm, "application-form",
				"planning-permit", "construction-contract")},
			422, []string{"materials.safety-plan", "materials.funds-proof"}, nil},
		{"content the submitter never uploaded", asFirmB,
			intake.SubmitRequest{MatterCode: "eia-approval", Materials: e.materials(asFirmA, "application-form", "eia-report")},
			422, []string{"materials[0].sha256", "materials[1].sha256"}, nil},
		{"unknown matter", asFirmA, intake.SubmitRequest{MatterCode: "moon-landing"}, 400, []string{"matter_code"}, nil},
		{"matter and bundle", asFirmA, intake.SubmitRequest{MatterCode: "eia-approval", BundleCode: "business-startup"}, 400, []string{"matter_code"}, nil},
		{"wrong channel for the role", asFirmA, intake.SubmitRequest{MatterCode: "eia-approval", Channel: "window"}, 400, []string{"channel"}, nil},
		{"another firm's id", asFirmA, intake.SubmitRequest{EnterpriseID: firmB, MatterCode: "eia-approval"}, 400, []string{"enterprise_id"}, nil},
		{"managers do not file", asManager, intake.SubmitRequest{EnterpriseID: firmA, MatterCode: "eia-approval"}, 403, nil, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM tickets`)
			tk, _, err := e.svc.Submit(as(c.p), fmt.Sprintf("key-%d", i), c.req)
			if status(err) != c.status {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.status)
			}
			if c.status != 200 {
				if c.fields != nil {
					f := fields(t, err)
					if len(f) != len(c.fields) {
						t.Fatalf("fields %v, want %v", f, c.fields)
					}
					for _, w := range c.fields {
						if _, ok := f[w]; !ok {
							t.Errorf("%s not reported: %v", w, f)
						}
					}
				}
				if e.count(`SELECT count(*) FROM tickets`) != before {
					t.Fatal("a refused submission wrote a ticket")
				}
				return
			}
			if tk.Supplement == nil || !equal(tk.Supplement.Materials, c.supplement) || tk.Supplement.WorkingDays != 5 {
				t.Fatalf("supplement %+v", tk.Supplement)
			}
			// Submitted Monday 2026-03-02 10:00: five working days end Monday 03-09 17:30.
			if tk.Supplement.DueAt == nil || !tk.Supplement.DueAt.Equal(at(t, "2026-03-09 17:30")) {
				t.Fatalf("supplement due %v", tk.Supplement.DueAt)
			}
			p := e.outbox(tk.ID)[0].Payload.(*intakepb.TicketSubmitted)
			if !equal(p.GetMissingNonKeyMaterials(), c.supplement) || p.GetSupplementDueWorkingDays() != 5 ||
				!p.GetSupplementDueAt().AsTime().Equal(at(t, "2026-03-09 17:30")) || !equal(p.GetItems()[0].GetMissingNonKeyMaterials(), []string{"safety-plan", "funds-proof"}) {
				t.Fatalf("payload %+v", p)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	mats := e.materials(asFirmA, "application-form", "eia-report")
	req := intake.SubmitRequest{MatterCode: "eia-approval", Materials: mats}
	first, created, err := e.svc.Submit(as(asFirmA), "same-key", req)
	if err != nil || !created {
		t.Fatalf("first: %v created=%v", err, created)
	}
	again, created, err := e.svc.Submit(as(asFirmA), "same-key", req)
	if err != nil || created || again.ID != first.ID || again.Number != first.Number {
		t.Fatalf("replay: %s %v created=%v", again.ID, err, created)
	}
	other := req
	other.Materials = mats[:1]
	if _, _, err := e.svc.Submit(as(asFirmA), "same-key", other); status(err) != 409 {
		t.Fatalf("different body under the same key: %v", err)
	}
	// Keys are per submitter: another user may use the same key.
	b, created, err := e.svc.Submit(as(asFirmB), "same-key", intake.SubmitRequest{MatterCode: "eia-approval",
		Materials: e.materials(asFirmB, "application-form", "eia-report")})
	if err != nil || !created || b.ID == first.ID {
		t.Fatalf("another submitter's key: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("k", 201), "with space"} {
		if _, _, err := e.svc.Submit(as(asFirmA), bad, req); status(err) != 400 {
			t.Errorf("key %q: %v", bad, err)
		}
	}
	if n := e.count(`SELECT count(*) FROM tickets`); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
}

func TestConcurrentSameKeyCreatesOneTicket(t *testing.T) {
	e := newEnv(t)
	req := intake.SubmitRequest{BundleCode: "business-startup", Materials: e.materials(asFirmA, businessStartupAll...)}
	const n = 12
	var wg sync.WaitGroup
	ids := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tk, c, err := e.svc.Submit(as(asFirmA), "once", req)
			ids[i], created[i], errs[i] = tk.ID, c, err
		}()
	}
	close(start)
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("two tickets: %s and %s", ids[0], ids[i])
		}
		if created[i] {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d submissions reported creating the ticket, want 1", fresh)
	}
	if got := e.count(`SELECT count(*) FROM tickets`); got != 1 {
		t.Fatalf("%d tickets", got)
	}
	if got := len(e.outbox(ids[0])); got != 1 {
		t.Fatalf("%d events for the ticket", got)
	}
}

func TestConcurrentSubmissionsGetDistinctNumbers(t *testing.T) {
	e := newEnv(t)
	mats := e.materials(asFirmA, "application-form", "eia-report")
	const n = 50
	var wg sync.WaitGroup
	numbers := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tk, _, err := e.svc.Submit(as(asFirmA), fmt.Sprintf("n-%d", i), intake.SubmitRequest{MatterCode: "eia-approval", Materials: mats})
			numbers[i], errs[i] = tk.Number, err
		}()
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submission %d: %v", i, errs[i])
		}
		if seen[numbers[i]] || !strings.HasPrefix(numbers[i], "WCJK-2026-") {
			t.Fatalf("number %q repeated or malformed", numbers[i])
		}
		seen[numbers[i]] = true
	}
	// Numbers increase with submission order (by time of numbering).
	var ordered []string
	if err := e.db.Select(&ordered, `SELECT number FROM tickets ORDER BY number`); err != nil {
		t.Fatal(err)
	}
	if len(ordered) != n {
		t.Fatalf("%d tickets", len(ordered))
	}
	// A later submission, in another park, numbers on its own sequence.
	ll := e.submit(asBadFirm, "ll", intake.SubmitRequest{MatterCode: "eia-approval", Materials: e.materials(asBadFirm, "application-form", "eia-report")})
	if ll.Number != "LLJK-2026-000001" {
		t.Fatalf("liling number %s", ll.Number)
	}
	next := e.submit(asFirmA, "after", intake.SubmitRequest{MatterCode: "eia-approval", Materials: mats})
	if next.Number <= ordered[n-1] {
		t.Fatalf("number %s not after %s", next.Number, ordered[n-1])
	}
}

func TestNumbersRestartEachYear(t *testing.T) {
	e := newEnv(t)
	mats := e.materials(asFirmA, "application-form", "eia-report")
	e.clk.Set(at(t, "2026-12-31 23:50"))
	a := e.submit(asFirmA, "y1", intake.SubmitRequest{MatterCode: "eia-approval", Materials: mats})
	e.clk.Set(at(t, "2027-01-01 00:10"))
	b := e.submit(asFirmA, "y2", intake.SubmitRequest{MatterCode: "eia-approval", Materials: mats})
	if a.Number != "WCJK-2026-000001" || b.Number != "WCJK-2027-000001" {
		t.Fatalf("numbers %s, %s", a.Number, b.Number)
	}
}

func TestTicketScope(t *testing.T) {
	e := newEnv(t)
	tk := e.submit(asFirmA, "k", intake.SubmitRequest{MatterCode: "construction-permit", Materials: e.materials(asFirmA, constructionPermitAll...)})
	cases := []struct {
		name string
		p    auth.Principal
		want int
	}{
		{"the firm", asFirmA, 200},
		{"another firm: not found, not forbidden", asFirmB, 404},
		{"staff of the park", asHousing, 200},
		{"manager of the park", asManager, 200},
		{"manager of another park", asLilingManager, 404},
		{"an unassigned liaison", asLiaison, 404},
		{"admin", asAdmin, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.Ticket(as(c.p), tk.ID)
			if status(err) != c.want {
				t.Fatalf("status %d (%v), want %d", status(err), err, c.want)
			}
			page, err := e.svc.Tickets(as(c.p), intake.TicketQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if listed := len(page.Items) == 1; listed != (c.want == 200) {
				t.Fatalf("listed=%v with status %d", listed, c.want)
			}
		})
	}
	// Another firm cannot act on the ticket either.
	if _, err := e.svc.Rate(as(asFirmB), tk.ID, intake.RatingInput{Score: 5}); status(err) != 404 {
		t.Fatalf("rate by another firm: %v", err)
	}
	if _, err := e.svc.Withdraw(as(asFirmB), tk.ID, intake.WithdrawInput{Reason: "x"}); status(err) != 404 {
		t.Fatalf("withdraw by another firm: %v", err)
	}
}

func TestTicketListFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	mats := e.materials(asFirmA, businessStartupAll...)
	eia := e.materials(asFirmA, "application-form", "eia-report")
	for i := range 5 {
		e.submit(asFirmA, fmt.Sprintf("b%d", i), intake.SubmitRequest{BundleCode: "business-startup", Materials: mats})
		e.clk.Advance(time.Minute)
		e.submit(asFirmA, fmt.Sprintf("m%d", i), intake.SubmitRequest{MatterCode: "eia-approval", Materials: eia})
		e.clk.Advance(time.Minute)
	}
	e.submit(asFirmB, "b", intake.SubmitRequest{MatterCode: "eia-approval", Materials: e.materials(asFirmB, "application-form", "eia-report")})
	cases := []struct {
		name string
		p    auth.Principal
		q    intake.TicketQuery
		want int
	}{
		{"all of the park", asManager, intake.TicketQuery{}, 11},
		{"own only", asFirmA, intake.TicketQuery{}, 10},
		{"a matter inside bundles", asManager, intake.TicketQuery{Matter: "seal-engraving"}, 5},
		{"by department", asManager, intake.TicketQuery{Department: "eco"}, 6},
		{"by kind", asManager, intake.TicketQuery{Kind: "bundle"}, 5},
		{"by firm", asStaff, intake.TicketQuery{EnterpriseID: firmB}, 1},
		{"by status", asManager, intake.TicketQuery{Status: "completed"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []intake.Ticket
			q := c.q
			q.Limit = 3
			for {
				page, err := e.svc.Tickets(as(c.p), q)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Items...)
				if page.Next == "" {
					break
				}
				q.After = page.Next
			}
			if len(got) != c.want {
				t.Fatalf("%d tickets, want %d", len(got), c.want)
			}
			seen := map[string]bool{}
			for i, tk := range got {
				if seen[tk.ID] || (i > 0 && tk.SubmittedAt.After(got[i-1].SubmittedAt)) {
					t.Fatalf("page order broken at %d", i)
				}
				seen[tk.ID] = true
			}
		})
	}
	if _, err := e.svc.Tickets(as(asManager), intake.TicketQuery{After: "garbage"}); status(err) != 400 {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := e.svc.Tickets(as(asManager), intake.TicketQuery{Park: "liling"}); status(err) != 403 {
		t.Fatalf("manager listing another park: %v", err)
	}
}

func TestUploadLimits(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.Upload(as(asFirmA), "application/pdf", make([]byte, 1<<20+1)); !errors.Is(err, fault.ErrTooLarge) {
		t.Fatalf("oversized upload: %v", err)
	}
	if _, err := e.svc.Upload(as(asFirmA), "application/pdf", nil); status(err) != 400 {
		t.Fatalf("empty upload: %v", err)
	}
	if _, err := e.svc.Upload(as(asManager), "application/pdf", []byte("x")); status(err) != 403 {
		t.Fatalf("manager upload: %v", err)
	}
	u, err := e.svc.Upload(as(asFirmA), "application/pdf; charset=binary", []byte("营业执照"))
	if err != nil || u.MediaType != "application/pdf" || u.Size != int64(len("营业执照")) {
		t.Fatalf("upload %+v, %v", u, err)
	}
	// The content is in the object store under its hash.
	got, err := e.objects.Get(t.Context(), u.SHA256)
	if err != nil || string(got) != "营业执照" || u.Ref != intake.Ref(intake.MaterialsBucket, u.SHA256) {
		t.Fatalf("stored %q, %v", got, err)
	}
}
