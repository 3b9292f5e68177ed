package policy

import (
	"fmt"
	"math"
	"strconv"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// Benefit kinds.
const (
	BenefitFixed = "fixed" // a fixed amount
	BenefitRate  = "rate"  // rate × a money figure, optionally capped
	BenefitTiers = "tiers" // the amount of the highest tier the figure reaches
)

// Benefit is a policy's benefit formula. Money is integer fen.
type Benefit struct {
	Kind string `json:"kind" yaml:"kind"`
	// AmountFen is the fixed amount (fixed).
	AmountFen int64 `json:"amount_fen,omitempty" yaml:"amount_fen,omitempty"`
	// Base is the figure the rate applies to (a money field) or the tiers
	// are measured on (a money or number field).
	Base string `json:"base,omitempty" yaml:"base,omitempty"`
	// RatePercent is the rate (rate), at most two decimals: 10.5 = 10.5%.
	RatePercent float64 `json:"rate_percent,omitempty" yaml:"rate_percent,omitempty"`
	// CapFen caps the rate's result; 0 = no cap of the formula's own.
	CapFen int64 `json:"cap_fen,omitempty" yaml:"cap_fen,omitempty"`
	// Tiers ascend by threshold (tiers).
	Tiers []Tier `json:"tiers,omitempty" yaml:"tiers,omitempty"`
}

// Tier is one step: a firm whose base reaches Min (number bases) or MinFen
// (money bases) gets AmountFen, unless a higher tier is reached too.
type Tier struct {
	Label     string  `json:"label,omitempty" yaml:"label,omitempty"`
	MinFen    int64   `json:"min_fen,omitempty" yaml:"min_fen,omitempty"`
	Min       float64 `json:"min,omitempty" yaml:"min,omitempty"`
	AmountFen int64   `json:"amount_fen" yaml:"amount_fen"`
}

// Validate reports every problem of b, field names under prefix.
func (b Benefit) Validate(v *fault.Violations, prefix string) {
	f := func(s string) string { return prefix + "." + s }
	base := func() *Field {
		fd, ok := fieldByName[b.Base]
		if !ok || (fd.kind != kMoney && fd.kind != kNumber) {
			v.Addf(f("base"), "must be a money or number field (revenue, tax_paid, rd_expense, tax_per_mu, revenue_per_mu, rd_ratio, headcount, land_area_mu ...), got %q", b.Base)
			return nil
		}
		return fd
	}
	switch b.Kind {
	case BenefitFixed:
		if b.AmountFen <= 0 || b.AmountFen > maxMoneyFen {
			v.Add(f("amount_fen"), "must be a positive amount in fen")
		}
		if b.Base != "" || b.RatePercent != 0 || b.CapFen != 0 || len(b.Tiers) > 0 {
			v.Add(f("kind"), "a fixed benefit has only amount_fen")
		}
	case BenefitRate:
		if fd := base(); fd != nil && fd.kind != kMoney {
			v.Addf(f("base"), "a rate applies to money; %s is %s", fd.Name, fd.kind)
		}
		if _, ok := basisPoints(b.RatePercent); !ok {
			v.Add(f("rate_percent"), "must be above 0 and at most 100, with at most two decimals")
		}
		if b.CapFen < 0 || b.CapFen > maxMoneyFen {
			v.Add(f("cap_fen"), "must be 0 (none) or a positive amount in fen")
		}
		if b.AmountFen != 0 || len(b.Tiers) > 0 {
			v.Add(f("kind"), "a rate benefit has base, rate_percent and cap_fen only")
		}
	case BenefitTiers:
		fd := base()
		if len(b.Tiers) == 0 || len(b.Tiers) > 20 {
			v.Add(f("tiers"), "1 to 20 tiers are required")
		}
		for i, t := range b.Tiers {
			tf := fmt.Sprintf("%s.tiers[%d]", prefix, i)
			if t.AmountFen <= 0 || t.AmountFen > maxMoneyFen {
				v.Add(tf+".amount_fen", "must be a positive amount in fen")
			}
			if fd != nil && fd.kind == kMoney && t.Min != 0 {
				v.Addf(tf+".min", "%s is money: give the threshold as min_fen", fd.Name)
			}
			if fd != nil && fd.kind == kNumber && t.MinFen != 0 {
				v.Addf(tf+".min_fen", "%s is a number: give the threshold as min", fd.Name)
			}
			if t.MinFen < 0 || t.Min < 0 || math.IsNaN(t.Min) || math.IsInf(t.Min, 0) {
				v.Add(tf, "thresholds are at least 0")
			}
			if i > 0 && fd != nil {
				p := b.Tiers[i-1]
				if fd.kind == kMoney && t.MinFen <= p.MinFen || fd.kind == kNumber && t.Min <= p.Min {
					v.Add(tf, "tiers must ascend: each threshold above the one before")
				}
			}
		}
		if b.CapFen != 0 || b.RatePercent != 0 || b.AmountFen != 0 {
			v.Add(f("kind"), "a tiers benefit has base and tiers only")
		}
	default:
		v.Addf(f("kind"), "must be %s, %s or %s", BenefitFixed, BenefitRate, BenefitTiers)
	}
}

func basisPoints(pct float64) (int64, bool) {
	bp := math.Round(pct * 100)
	if math.IsNaN(pct) || bp <= 0 || bp > 10_000 || math.Abs(pct*100-bp) > 1e-6 {
		return 0, false
	}
	return int64(bp), true
}

// Amount is Compute without the explanation, for matching many firms.
func (b *Benefit) Amount(f *Facts) (int64, bool) {
	switch b.Kind {
	case BenefitFixed:
		return b.AmountFen, true
	case BenefitRate:
		base, has := fieldByName[b.Base].money(f)
		if !has {
			return 0, false
		}
		bp, _ := basisPoints(b.RatePercent)
		amount := mulDiv(base, bp, 10_000)
		if b.CapFen > 0 && amount > b.CapFen {
			amount = b.CapFen
		}
		return amount, true
	case BenefitTiers:
		fd := fieldByName[b.Base]
		var amount int64
		if fd.kind == kMoney {
			base, has := fd.money(f)
			if !has {
				return 0, false
			}
			for _, t := range b.Tiers {
				if base >= t.MinFen {
					amount = t.AmountFen
				}
			}
			return amount, true
		}
		base, has := fd.num(f)
		if !has {
			return 0, false
		}
		for _, t := range b.Tiers {
			if base >= t.Min {
				amount = t.AmountFen
			}
		}
		return amount, true
	}
	return 0, false
}

// Compute returns the benefit for facts and how it was reached. ok is false
// when the firm has not declared the base the formula needs.
func (b Benefit) Compute(f *Facts) (amount int64, how string, ok bool) {
	switch b.Kind {
	case BenefitFixed:
		return b.AmountFen, "fixed " + FormatMoney(b.AmountFen), true
	case BenefitRate:
		fd := fieldByName[b.Base]
		base, has := fd.money(f)
		if !has {
			return 0, fd.Label + " not declared", false
		}
		bp, _ := basisPoints(b.RatePercent)
		amount = mulDiv(base, bp, 10_000)
		how = fmt.Sprintf("%s%% × %s %s = %s", strconv.FormatFloat(b.RatePercent, 'f', -1, 64), fd.Label, FormatMoney(base), FormatMoney(amount))
		if b.CapFen > 0 && amount > b.CapFen {
			amount = b.CapFen
			how += ", capped at " + FormatMoney(b.CapFen)
		}
		return amount, how, true
	case BenefitTiers:
		fd := fieldByName[b.Base]
		var reached = -1
		var shown string
		if fd.kind == kMoney {
			base, has := fd.money(f)
			if !has {
				return 0, fd.Label + " not declared", false
			}
			shown = FormatMoney(base)
			for i, t := range b.Tiers {
				if base >= t.MinFen {
					reached = i
				}
			}
		} else {
			base, has := fd.num(f)
			if !has {
				return 0, fd.Label + " not declared", false
			}
			shown = strconv.FormatFloat(base, 'f', -1, 64)
			for i, t := range b.Tiers {
				if base >= t.Min {
					reached = i
				}
			}
		}
		if reached < 0 {
			return 0, fmt.Sprintf("%s %s is below the first tier", fd.Label, shown), true
		}
		t := b.Tiers[reached]
		label := t.Label
		if label == "" {
			label = fmt.Sprintf("tier %d", reached+1)
		}
		thr := FormatMoney(t.MinFen)
		if fd.kind != kMoney {
			thr = strconv.FormatFloat(t.Min, 'f', -1, 64)
		}
		return t.AmountFen, fmt.Sprintf("%s %s reaches %s (≥ %s): %s", fd.Label, shown, label, thr, FormatMoney(t.AmountFen)), true
	}
	return 0, "unknown formula", false
}
