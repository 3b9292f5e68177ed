package liaison_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

func TestRegistrationAssignsByExpertiseThenLoadUnderCap(t *testing.T) {
	e := newEnv(t)
	x1 := e.officer(park, 1, 2, "C39")
	x2 := e.officer(park, 2, 1, "C27")
	x3 := e.officer(park, 3, 1)
	e.officer("liling", 4, 50, "C39") // another park's expert is never chosen
	steps := []struct {
		firm, industry  string
		primary, backup string
		flagged         bool
	}{
		{firm: firmID(1), industry: "C3911", primary: x1, backup: x2},
		{firm: firmID(2), industry: "C2710", primary: x2, backup: x3},
		{firm: firmID(3), industry: "C3911", primary: x1, backup: ""}, // x2 and x3 back one firm each: their cap
		{firm: firmID(4), industry: "C3920", primary: x3, backup: x1},
		{firm: firmID(5), industry: "C2710", flagged: true},
	}
	for _, s := range steps {
		t.Run(s.firm[len(s.firm)-4:]+"-"+s.industry, func(t *testing.T) {
			e.mustApply(registered(t, park, s.firm, s.industry, false, e.clk.Now()))
			f := e.firm(s.firm)
			if f.OfficerID != s.primary || f.Flagged != s.flagged {
				t.Fatalf("primary %q flagged %v; want %q %v", f.OfficerID, f.Flagged, s.primary, s.flagged)
			}
			if f.BackupOfficerID != s.backup {
				t.Fatalf("backup %q; want %q", f.BackupOfficerID, s.backup)
			}
			evs := e.outboxed(s.firm)
			if len(evs) != 1 {
				t.Fatalf("events %v", e.outboxTypes(s.firm))
			}
			switch p := evs[0].Payload.(type) {
			case *liaisonpb.OfficerAssigned:
				if s.flagged || p.GetOfficerId() != s.primary || p.GetBackupOfficerId() != f.BackupOfficerID || evs[0].Park != park {
					t.Fatalf("assigned %+v", p)
				}
			case *liaisonpb.AssignmentFlagged:
				if !s.flagged || p.GetReason() == "" {
					t.Fatalf("flagged %+v", p)
				}
			}
		})
	}
	// The same registration again changes nothing.
	e.mustApply(registered(t, park, firmID(1), "C3911", false, e.clk.Now()))
	if got := e.outboxTypes(firmID(1)); len(got) != 1 {
		t.Fatalf("a repeated registration published %v", got)
	}
	for id, want := range map[string]int{x1: 2, x2: 1, x3: 1} {
		o, err := e.repo.Officer(context.Background(), id)
		if err != nil || o.Firms != want || o.Firms > o.Cap {
			t.Fatalf("officer %s has %d firms (cap %d), want %d: %v", id, o.Firms, o.Cap, want, err)
		}
	}
	// The flagged firm shows in the manager's view and gets an officer as
	// soon as one has room.
	ov, err := e.svc.Overview(as(managerOf(park)), liaison.OverviewQuery{})
	if err != nil || len(ov.Unassigned) != 1 || ov.Unassigned[0].EnterpriseID != firmID(5) {
		t.Fatalf("overview unassigned %+v, %v", ov.Unassigned, err)
	}
	cap := 2
	ch, err := e.svc.UpdateOfficer(as(managerOf(park)), x2, liaison.OfficerPatch{Cap: &cap})
	if err != nil || !slices.Equal(ch.Assigned, []string{firmID(5)}) {
		t.Fatalf("raising the cap assigned %v, %v", ch.Assigned, err)
	}
	if f := e.firm(firmID(5)); f.OfficerID != x2 || f.Flagged {
		t.Fatalf("flagged firm now %+v", f)
	}
	e.checkVersions()
}

func TestSeededAssignmentIsHonouredWhenItFits(t *testing.T) {
	tests := []struct {
		name       string
		pinCap     int
		wantPinned bool
	}{
		{"pinned officer has room", 5, true},
		{"pinned officer is full", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			pin := e.officer(park, 1, tt.pinCap)
			other := e.officer(park, 2, 5, "C39")
			if _, err := e.db.Exec(`INSERT INTO pinned_assignments (enterprise_id, officer_id) VALUES ($1, $2)`, firmID(1), pin); err != nil {
				t.Fatal(err)
			}
			e.mustApply(registered(t, park, firmID(1), "C3911", false, e.clk.Now()))
			f := e.firm(firmID(1))
			want := other
			if tt.wantPinned {
				want = pin
			}
			if f.OfficerID != want {
				t.Fatalf("primary %s, want %s", f.OfficerID, want)
			}
		})
	}
}

func TestConcurrentRegistrationsNeverExceedCaps(t *testing.T) {
	e := newEnv(t)
	ids := []string{e.officer(park, 1, 7), e.officer(park, 2, 7), e.officer(park, 3, 6)}
	const firms = 48
	var wg sync.WaitGroup
	errs := make(chan error, firms)
	start := make(chan struct{})
	for i := range firms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- e.apply(registered(t, park, firmID(i), "C3911", false, e.clk.Now()))
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		o, _ := e.repo.Officer(context.Background(), id)
		if o.Firms != o.Cap {
			t.Errorf("officer %s has %d firms, cap %d", id, o.Firms, o.Cap)
		}
	}
	if n := e.count(`SELECT count(*) FROM firms WHERE officer_id IS NULL`); n != firms-20 {
		t.Fatalf("%d firms flagged, want %d", n, firms-20)
	}
	if n := len(e.ofType(event.AssignmentFlagged)); n != firms-20 {
		t.Fatalf("%d flagged events", n)
	}
}

// TestTwoHundredRegistrationsThroughJetStream registers 200 firms at once
// through JetStream, consumed by two replicas handling 4 events each at a
// time: every firm has exactly one primary or is flagged, no officer is
// above their cap, experts are preferred (a firm goes to a non-expert only
// when every expert of its industry is full) and equal officers stay
// balanced.
func TestTwoHundredRegistrationsThroughJetStream(t *testing.T) {
	e := newEnv(t)
	nt := jetStream(t)
	// Capacity 170 for 200 firms: 30 are flagged to the manager.
	a := e.officer(park, 1, 50, "C39")
	b := e.officer(park, 2, 50, "C39")
	c := e.officer(park, 3, 40, "C30")
	d := e.officer(park, 4, 30)
	leave := e.officer(park, 5, 100, "C27")
	onLeave := liaison.StatusOnLeave
	if _, err := e.svc.UpdateOfficer(as(managerOf(park)), leave, liaison.OfficerPatch{Status: &onLeave}); err != nil {
		t.Fatal(err)
	}
	industries := map[string]int{"C3911": 90, "C3071": 60, "C2710": 30, "I6510": 20}
	var evs []event.Event
	n := 0
	for ind, k := range industries {
		for range k {
			evs = append(evs, registered(t, park, firmID(n), ind, false, e.clk.Now()))
			n++
		}
	}
	// Interleave the industries as registrations would arrive.
	slices.SortFunc(evs, func(x, y event.Event) int { return cmpStr(x.ID[30:], y.ID[30:]) })
	runConsumers(t, e, nt, 2)
	for _, ev := range evs {
		publish(t, nt.JS, ev, ev.ID)
	}
	waitFor(t, "200 firms recorded", func() bool { return e.count(`SELECT count(*) FROM firms`) == 200 })

	var rows []struct {
		Officer  *string `db:"officer_id"`
		Industry string  `db:"industry_code"`
	}
	if err := e.db.Select(&rows, `SELECT officer_id, industry_code FROM firms`); err != nil {
		t.Fatal(err)
	}
	load := map[string]int{}
	flagged := 0
	for _, r := range rows {
		if r.Officer == nil {
			flagged++
			continue
		}
		load[*r.Officer]++
	}
	caps := map[string]int{a: 50, b: 50, c: 40, d: 30}
	for id, n := range load {
		if n > caps[id] {
			t.Errorf("officer %s has %d firms, over the cap %d", id, n, caps[id])
		}
	}
	if load[leave] != 0 {
		t.Errorf("an officer on leave got %d firms", load[leave])
	}
	if flagged != 30 || load[a]+load[b]+load[c]+load[d] != 170 {
		t.Fatalf("flagged %d, loads %v", flagged, load)
	}
	// Experts preferred: a C39 firm is never with c or d while a or b had
	// room; since capacity only shrinks here, that means a and b end full
	// whenever any C39 firm went elsewhere. The same for C30 and c.
	expertOf := map[string][]string{"C39": {a, b}, "C30": {c}}
	for _, r := range rows {
		if r.Officer == nil {
			continue
		}
		experts := expertOf[r.Industry[:3]]
		if len(experts) == 0 || slices.Contains(experts, *r.Officer) {
			continue
		}
		for _, x := range experts {
			if load[x] < caps[x] {
				t.Fatalf("a %s firm went to %s while expert %s had %d of %d", r.Industry, *r.Officer, x, load[x], caps[x])
			}
		}
	}
	// Balance: a and b are equal in every respect, so they differ by at most one.
	if diff := load[a] - load[b]; diff > 1 || diff < -1 {
		t.Fatalf("experts unbalanced: %d and %d", load[a], load[b])
	}
	// Every assignment was published once; each firm's events are numbered.
	if got := len(e.ofType(event.OfficerAssigned)) + len(e.ofType(event.AssignmentFlagged)); got != 200 {
		t.Fatalf("%d assignment events", got)
	}
	e.checkVersions()
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRequestWaitsForItsFirmThenIsDispatched(t *testing.T) {
	e := newEnv(t)
	x := e.officer(park, 1, 5)
	e.mustApply(demand(t, "t-1", firmID(1), e.clk.Now()))
	r := e.requestOf("t-1")
	if r.State != liaison.RequestWaiting || len(e.outboxed(r.ID)) != 0 {
		t.Fatalf("request before its firm: %+v", r)
	}
	e.clk.Advance(time.Minute)
	e.mustApply(registered(t, park, firmID(1), "C39", false, e.clk.Now()))
	r = e.requestOf("t-1")
	if r.State != liaison.RequestPending || r.HolderID != x {
		t.Fatalf("request after its firm: %+v", r)
	}
	evs := e.outboxed(r.ID)
	if len(evs) != 1 || evs[0].Payload.(*liaisonpb.RequestDispatched).GetOfficerId() != x {
		t.Fatalf("events %v", e.outboxTypes(r.ID))
	}
}
