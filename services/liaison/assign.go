package liaison

import (
	"cmp"
	"slices"
	"strings"
)

// Candidate is an active officer of a park as assignment sees them.
type Candidate struct {
	ID         string
	Industries []string
	Cap        int
	// Firms is how many firms the officer is primary for.
	Firms int
	// Backups is how many firms the officer is backup for.
	Backups int
	// OpenRequests counts the requests the officer holds that are not done
	// (pending or acknowledged).
	OpenRequests int
}

// Load is what assignment balances: firms weighted with their open requests.
func (c Candidate) Load() int { return c.Firms + c.OpenRequests }

// Expert reports whether the officer knows industry: one of their industry
// codes is a prefix of it (GB/T 4754: "C39" covers "C3921").
func (c Candidate) Expert(industry string) bool {
	return expert(c.Industries, industry)
}

func expert(industries []string, industry string) bool {
	if industry == "" {
		return false
	}
	for _, p := range industries {
		if p != "" && strings.HasPrefix(strings.ToUpper(industry), strings.ToUpper(p)) {
			return true
		}
	}
	return false
}

// ChoosePrimary picks the primary officer of a firm of industry (一企一员):
// among cands (the park's active officers) not in exclude and under their
// cap, experts in the industry first, then the lowest load, then the fewest
// firms, then the id, so that the choice is deterministic. It reports false
// when no officer fits.
func ChoosePrimary(cands []Candidate, industry string, exclude ...string) (Candidate, bool) {
	return choose(cands, industry, exclude, func(c Candidate) bool { return c.Firms < c.Cap },
		func(a, b Candidate) int {
			return cmp.Or(cmp.Compare(a.Load(), b.Load()), cmp.Compare(a.Firms, b.Firms))
		})
}

// ChooseBackup picks a firm's backup officer: as ChoosePrimary, but bounded
// and balanced by the firms the officer already backs.
func ChooseBackup(cands []Candidate, industry string, exclude ...string) (Candidate, bool) {
	return choose(cands, industry, exclude, func(c Candidate) bool { return c.Backups < c.Cap },
		func(a, b Candidate) int {
			return cmp.Or(cmp.Compare(a.Backups, b.Backups), cmp.Compare(a.Load(), b.Load()))
		})
}

func choose(cands []Candidate, industry string, exclude []string, fits func(Candidate) bool, order func(a, b Candidate) int) (Candidate, bool) {
	var best Candidate
	found, bestExpert := false, false
	for _, c := range cands {
		if !fits(c) || slices.Contains(exclude, c.ID) {
			continue
		}
		e := c.Expert(industry)
		better := !found
		if found {
			switch {
			case e != bestExpert:
				better = e
			default:
				better = cmp.Or(order(c, best), cmp.Compare(c.ID, best.ID)) < 0
			}
		}
		if better {
			best, bestExpert, found = c, e, true
		}
	}
	return best, found
}

// pool is the park's candidates during one transaction, kept up to date as
// firms and requests move so that several choices in a row stay balanced.
type pool struct {
	cands []Candidate
}

func (p *pool) find(id string) *Candidate {
	for i := range p.cands {
		if p.cands[i].ID == id {
			return &p.cands[i]
		}
	}
	return nil
}

// add moves counts: firms, backups and open requests of officer id by the
// deltas given. Officers not in the pool (inactive) are ignored.
func (p *pool) add(id string, firms, backups, requests int) {
	if c := p.find(id); c != nil {
		c.Firms += firms
		c.Backups += backups
		c.OpenRequests += requests
	}
}
