package liaison_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/event"
	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/proto/liaisonpb"
	"github.com/parkdesk/parkdesk/services/liaison"
)

// TestLeaveHandsFirmsAndOpenRequestsOver sends an officer on leave: each of
// their firms goes to its backup when the backup has room, else to the
// officer the rule picks, else it is flagged; firms they backed get another
// backup; their open requests follow the firms; one handover event lists it
// all. Back from leave, they take the flagged firm.
func TestLeaveHandsFirmsAndOpenRequestsOver(t *testing.T) {
	e := newEnv(t)
	e.seedManager(mgr, park)
	mctx := as(managerOf(park))
	A := e.officer(park, 1, 10, "C39")
	B := e.officer(park, 2, 10, "C39")
	C := e.officer(park, 3, 10, "C30")
	D := e.officer(park, 4, 10)
	industry := map[int]string{1: "C3911", 2: "C3911", 3: "C3071", 4: "C3071", 5: "I6510", 6: "C3071", 7: "C3911"}
	for n := 1; n <= 7; n++ {
		e.mustApply(registered(t, park, firmID(n), industry[n], false, e.clk.Now()))
	}
	str := func(s string) *string { return &s }
	shape := []struct {
		firm            int
		primary, backup string
	}{
		{1, A, B}, {2, A, B}, {3, A, ""}, {4, A, ""}, {5, A, ""}, {6, C, A}, {7, B, ""},
	}
	for _, s := range shape {
		if _, err := e.svc.Reassign(mctx, firmID(s.firm), liaison.Reassignment{OfficerID: s.primary, BackupOfficerID: str(s.backup)}); err != nil {
			t.Fatalf("shape firm %d: %v", s.firm, err)
		}
	}
	for id, cap := range map[string]int{B: 2, C: 3, D: 1} {
		if _, err := e.svc.UpdateOfficer(mctx, id, liaison.OfficerPatch{Cap: &cap}); err != nil {
			t.Fatalf("cap %s: %v", id, err)
		}
	}
	e.mustApply(demand(t, "t-1", firmID(1), e.clk.Now()), demand(t, "t-3", firmID(3), e.clk.Now()),
		demand(t, "t-5", firmID(5), e.clk.Now()))
	if _, err := e.svc.Acknowledge(as(officerP(A)), e.requestOf("t-3").ID); err != nil {
		t.Fatal(err)
	}
	r1, r3, r5 := e.requestOf("t-1").ID, e.requestOf("t-3").ID, e.requestOf("t-5").ID

	onLeave := liaison.StatusOnLeave
	ch, err := e.svc.UpdateOfficer(mctx, A, liaison.OfficerPatch{Status: &onLeave, Reason: "产假"})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Officer.Status != liaison.StatusOnLeave || ch.Officer.Firms != 0 || ch.Handover == nil {
		t.Fatalf("officer after leave %+v", ch)
	}
	want := []liaison.HandoverFirm{
		{EnterpriseID: firmID(1), OfficerID: B, BackupOfficerID: D, How: liaison.HowBackup, OpenRequestIDs: []string{r1}},
		{EnterpriseID: firmID(2), OfficerID: D, BackupOfficerID: B, How: liaison.HowReassigned, OpenRequestIDs: []string{}},
		{EnterpriseID: firmID(3), OfficerID: C, BackupOfficerID: B, How: liaison.HowReassigned, OpenRequestIDs: []string{r3}},
		{EnterpriseID: firmID(4), OfficerID: C, How: liaison.HowReassigned, OpenRequestIDs: []string{}},
		{EnterpriseID: firmID(5), How: liaison.HowFlagged, OpenRequestIDs: []string{r5}},
		{EnterpriseID: firmID(6), OfficerID: C, How: liaison.HowBackupReplaced, OpenRequestIDs: []string{}},
	}
	for i, w := range want {
		if i >= len(ch.Handover.Firms) {
			t.Fatalf("handover has %d firms, want %d", len(ch.Handover.Firms), len(want))
		}
		g := ch.Handover.Firms[i]
		if g.EnterpriseID != w.EnterpriseID || g.OfficerID != w.OfficerID || g.BackupOfficerID != w.BackupOfficerID ||
			g.How != w.How || !slices.Equal(g.OpenRequestIDs, w.OpenRequestIDs) {
			t.Errorf("firm %d: got %+v, want %+v", i+1, g, w)
		}
		f := e.firm(w.EnterpriseID)
		if f.OfficerID != w.OfficerID || f.BackupOfficerID != w.BackupOfficerID || f.Flagged != (w.How == liaison.HowFlagged) {
			t.Errorf("firm %d stored %s/%s flagged %v", i+1, f.OfficerID, f.BackupOfficerID, f.Flagged)
		}
	}
	if len(ch.Handover.Firms) != len(want) || !slices.Equal(ch.Handover.OpenRequestIDs, []string{r1, r3, r5}) {
		t.Fatalf("handover %+v", ch.Handover)
	}
	// The open requests moved: to the new officers, the flagged firm's to the manager.
	for _, c := range []struct {
		ticket, holder, role string
		state                liaison.RequestState
	}{
		{"t-1", B, liaison.RoleOfficer, liaison.RequestPending},
		{"t-3", C, liaison.RoleOfficer, liaison.RequestAcknowledged},
		{"t-5", mgr, liaison.RoleManager, liaison.RequestPending},
	} {
		if r := e.requestOf(c.ticket); r.HolderID != c.holder || r.HolderRole != c.role || r.State != c.state {
			t.Errorf("%s held by %s %s (%s)", c.ticket, r.HolderRole, r.HolderID, r.State)
		}
	}
	// Events: one handover listing it all, one assignment change per firm.
	hs := e.ofType(event.OfficerHandover)
	if len(hs) != 1 {
		t.Fatalf("%d handover events", len(hs))
	}
	hp := hs[0].Payload.(*liaisonpb.Handover)
	if hp.GetOfficerId() != A || hp.GetStatus() != "on_leave" || len(hp.GetFirms()) != 6 || hp.GetReason() != "产假" ||
		!slices.Equal(hp.GetOpenRequestIds(), []string{r1, r3, r5}) {
		t.Fatalf("handover event %+v", hp)
	}
	for n := 1; n <= 6; n++ {
		evs := e.outboxed(firmID(n))
		last := evs[len(evs)-1]
		if n == 5 {
			fl := last.Payload.(*liaisonpb.AssignmentFlagged)
			if fl.GetPreviousOfficerId() != A {
				t.Fatalf("flag of firm 5 %+v", fl)
			}
			last = evs[len(evs)-2]
		}
		p := last.Payload.(*liaisonpb.OfficerAssigned)
		if n <= 5 && p.GetPreviousOfficerId() != A || n == 6 && p.GetPreviousBackupOfficerId() != A {
			t.Fatalf("assignment of firm %d %+v", n, p)
		}
	}
	// The moved pending request escalates from its new holder to the firm's backup.
	e.mustApply(breach(t, r1, A, e.clk.Now()))
	if r := e.requestOf("t-1"); r.HolderID != D || r.Level != liaison.LevelBackup {
		t.Fatalf("escalation after handover went to %s level %d", r.HolderID, r.Level)
	}
	// Back from leave: the flagged firm gets them.
	active := liaison.StatusActive
	ch, err = e.svc.UpdateOfficer(mctx, A, liaison.OfficerPatch{Status: &active})
	if err != nil || !slices.Equal(ch.Assigned, []string{firmID(5)}) {
		t.Fatalf("back from leave: %+v, %v", ch.Assigned, err)
	}
	if f := e.firm(firmID(5)); f.OfficerID != A || f.Flagged {
		t.Fatalf("firm 5 %+v", f)
	}
	e.checkVersions()
}

func TestOfficerChangesAreChecked(t *testing.T) {
	e := newEnv(t)
	mctx := as(managerOf(park))
	A := e.officer(park, 1, 3)
	e.mustApply(registered(t, park, firmID(1), "C39", false, e.clk.Now()), registered(t, park, firmID(2), "C39", false, e.clk.Now()))
	left, active, bad := liaison.StatusLeft, liaison.StatusActive, liaison.OfficerStatus("retired")
	one, neg := 1, -1
	tests := []struct {
		name  string
		patch liaison.OfficerPatch
		kind  error
		field string
	}{
		{"cap below the firms held", liaison.OfficerPatch{Cap: &one}, fault.ErrConflict, ""},
		{"negative cap", liaison.OfficerPatch{Cap: &neg}, fault.ErrInvalid, "cap"},
		{"unknown status", liaison.OfficerPatch{Status: &bad}, fault.ErrInvalid, "status"},
		{"bad industry", liaison.OfficerPatch{Industries: &[]string{"制造业"}}, fault.ErrInvalid, "industries[0]"},
		{"unknown manager", liaison.OfficerPatch{ManagerID: new("nobody")}, fault.ErrUnprocessable, "manager_id"},
		{"left", liaison.OfficerPatch{Status: &left}, nil, ""},
		{"left is final", liaison.OfficerPatch{Status: &active}, fault.ErrConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.UpdateOfficer(mctx, A, tt.patch)
			if tt.kind == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || (tt.field != "" && !isField(err, tt.field)) {
				t.Fatalf("got %v, want %v on %q", err, tt.kind, tt.field)
			}
		})
	}
	// Another park's manager and an officer may not change officers.
	if _, err := e.svc.UpdateOfficer(as(managerOf("liling")), A, liaison.OfficerPatch{Cap: &one}); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("another park's manager: %v", err)
	}
	if _, err := e.svc.UpdateOfficer(as(officerP(A)), A, liaison.OfficerPatch{Cap: &one}); !errors.Is(err, fault.ErrForbidden) {
		t.Fatalf("an officer: %v", err)
	}
}
