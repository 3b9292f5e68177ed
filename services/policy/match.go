package policy

import (
	"runtime"
	"sync"
)

// flagBits interns flag names to bits, so "flags has" is one AND.
var flagBits = struct {
	sync.RWMutex
	m map[string]uint64
}{m: map[string]uint64{}}

// flagBit returns the bit of flag, or 0 when 64 flags are interned already.
func flagBit(flag string) uint64 {
	flagBits.RLock()
	b, ok := flagBits.m[flag]
	flagBits.RUnlock()
	if ok {
		return b
	}
	flagBits.Lock()
	defer flagBits.Unlock()
	if b, ok := flagBits.m[flag]; ok {
		return b
	}
	if len(flagBits.m) >= 64 {
		return 0
	}
	b = 1 << len(flagBits.m)
	flagBits.m[flag] = b
	return b
}

// Matcher evaluates many policies against many firms: each policy's rules
// compiled to closures, the flag tests to bit masks, the firms' facts
// derived once.
type Matcher struct {
	policies []compiledPolicy
}

type compiledPolicy struct {
	p     *Policy
	rules []func(*Facts) bool
}

// NewMatcher compiles ps (as returned by Compile or the repository).
func NewMatcher(ps []*Policy) *Matcher {
	m := &Matcher{}
	for _, p := range ps {
		c := compiledPolicy{p: p}
		for _, e := range p.rules {
			c.rules = append(c.rules, e.Compile())
		}
		m.policies = append(m.policies, c)
	}
	return m
}

// Match calls hit for every policy f is eligible for with a positive amount.
func (m *Matcher) Match(f *Facts, hit func(p *Policy, amount int64)) {
policies:
	for i := range m.policies {
		c := &m.policies[i]
		for _, r := range c.rules {
			if !r(f) {
				continue policies
			}
		}
		amount, ok := c.p.Benefit.Amount(f)
		if cp := c.p.PerFirmCapFen; cp > 0 && amount > cp {
			amount = cp
		}
		if ok && amount > 0 {
			hit(c.p, amount)
		}
	}
}

// MatchAll matches every firm against every policy, the firms split over
// workers goroutines (0 = GOMAXPROCS). hit is called from the workers, each
// with its worker number (0 to workers-1) and in firm order within a
// worker, so a caller can collect without locking; it returns the number of
// workers used.
func (m *Matcher) MatchAll(firms []Facts, workers int, hit func(worker, firm int, p *Policy, amount int64)) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(firms)))
	var wg sync.WaitGroup
	chunk := (len(firms) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(firms))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				m.Match(&firms[i], func(p *Policy, amount int64) { hit(w, i, p, amount) })
			}
		})
	}
	wg.Wait()
	return workers
}
