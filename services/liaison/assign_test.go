package liaison_test

import (
	"testing"

	"github.com/parkdesk/parkdesk/services/liaison"
)

func TestChoosePrimary(t *testing.T) {
	c := func(id string, cap, firms, open int, ind ...string) liaison.Candidate {
		return liaison.Candidate{ID: id, Cap: cap, Firms: firms, OpenRequests: open, Industries: ind}
	}
	tests := []struct {
		name     string
		cands    []liaison.Candidate
		industry string
		exclude  []string
		want     string
	}{
		{"expert first even when busier", []liaison.Candidate{c("a", 10, 1, 0), c("b", 10, 5, 0, "C39")}, "C3921", nil, "b"},
		{"prefix must match the code's start", []liaison.Candidate{c("a", 10, 1, 0), c("b", 10, 0, 0, "C3")}, "C27", nil, "b"},
		{"no expert: least load", []liaison.Candidate{c("a", 10, 3, 0), c("b", 10, 2, 0)}, "C27", nil, "b"},
		{"open requests weigh on load", []liaison.Candidate{c("a", 10, 1, 3), c("b", 10, 2, 0)}, "", nil, "b"},
		{"full expert gives way to a free officer", []liaison.Candidate{c("a", 2, 2, 0, "C39"), c("b", 10, 7, 0)}, "C39", nil, "b"},
		{"experts balanced by load", []liaison.Candidate{c("a", 10, 4, 0, "C39"), c("b", 10, 3, 0, "C39"), c("c", 10, 0, 0)}, "C39", nil, "b"},
		{"ties broken by fewer firms", []liaison.Candidate{c("a", 10, 2, 0), c("b", 10, 1, 1)}, "", nil, "b"},
		{"ties broken by id", []liaison.Candidate{c("b", 10, 1, 0), c("a", 10, 1, 0)}, "", nil, "a"},
		{"excluded is never chosen", []liaison.Candidate{c("a", 10, 0, 0, "C39"), c("b", 10, 9, 0)}, "C39", []string{"a"}, "b"},
		{"cap 0 takes nobody", []liaison.Candidate{c("a", 0, 0, 0)}, "", nil, ""},
		{"all full", []liaison.Candidate{c("a", 1, 1, 0), c("b", 2, 2, 0)}, "", nil, ""},
		{"nobody", nil, "C39", nil, ""},
		{"lower-case industry codes match", []liaison.Candidate{c("a", 10, 0, 0), c("b", 10, 4, 0, "c39")}, "C3911", nil, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := liaison.ChoosePrimary(tt.cands, tt.industry, tt.exclude...)
			if ok != (tt.want != "") || got.ID != tt.want {
				t.Fatalf("ChoosePrimary = %q, %v; want %q", got.ID, ok, tt.want)
			}
		})
	}
}

func TestChooseBackup(t *testing.T) {
	c := func(id string, cap, firms, backups int, ind ...string) liaison.Candidate {
		return liaison.Candidate{ID: id, Cap: cap, Firms: firms, Backups: backups, Industries: ind}
	}
	tests := []struct {
		name     string
		cands    []liaison.Candidate
		industry string
		exclude  []string
		want     string
	}{
		{"never the primary", []liaison.Candidate{c("a", 10, 0, 0, "C39"), c("b", 10, 5, 5)}, "C39", []string{"a"}, "b"},
		{"expert first", []liaison.Candidate{c("a", 10, 0, 0), c("b", 10, 0, 3, "C39")}, "C39", nil, "b"},
		{"fewest backups", []liaison.Candidate{c("a", 10, 0, 4), c("b", 10, 8, 2)}, "", nil, "b"},
		{"backups bounded by the cap", []liaison.Candidate{c("a", 3, 0, 3), c("b", 10, 9, 9)}, "", nil, "b"},
		{"only the primary", []liaison.Candidate{c("a", 10, 0, 0)}, "", []string{"a"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := liaison.ChooseBackup(tt.cands, tt.industry, tt.exclude...)
			if ok != (tt.want != "") || got.ID != tt.want {
				t.Fatalf("ChooseBackup = %q, %v; want %q", got.ID, ok, tt.want)
			}
		})
	}
}
