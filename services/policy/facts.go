package policy

import (
	"math"
	"math/bits"
	"slices"
)

// Figures are a firm's declared figures for one year (intake's
// DeclaredFigures). Money is in fen.
type Figures struct {
	Year           int     `json:"year"`
	RevenueFen     int64   `json:"revenue_fen"`
	TaxPaidFen     int64   `json:"tax_paid_fen"`
	RDRatioPercent float64 `json:"rd_ratio_percent"`
	LandAreaMu     float64 `json:"land_area_mu"`
	Headcount      int     `json:"headcount"`
}

// Firm is policy's read model of an enterprise: its profile and declared
// figures as intake last announced them, and its liaison officers as
// liaison last announced them.
type Firm struct {
	ID              string   `json:"id"`
	Park            string   `json:"park"`
	Name            string   `json:"name"`
	USCC            string   `json:"uscc"`
	IndustryCode    string   `json:"industry_code"`
	Scale           string   `json:"scale"`
	Flags           []string `json:"flags"`
	KeyEnterprise   bool     `json:"key_enterprise"`
	Figures         Figures  `json:"figures"`
	OfficerID       string   `json:"officer_id,omitempty"`
	BackupOfficerID string   `json:"backup_officer_id,omitempty"`
}

// Facts are what rules and formulas read of a firm, with the derived
// figures computed once.
type Facts struct {
	Industry string
	Scale    string
	Flags    []string
	// FlagMask has the bit of each flag (see flagBit).
	FlagMask        uint64
	KeyEnterprise   bool
	HasFigures      bool
	FiguresYear     int
	RevenueFen      int64
	TaxPaidFen      int64
	RDRatioPercent  float64
	RDExpenseFen    int64
	LandAreaMu      float64
	Headcount       int
	TaxPerMuFen     int64
	RevenuePerMuFen int64
}

// FactsOf derives the facts of f. Figures of year 0 are "not declared".
func FactsOf(f Firm) Facts {
	fg := f.Figures
	fc := Facts{Industry: f.IndustryCode, Scale: f.Scale, Flags: slices.Clone(f.Flags), KeyEnterprise: f.KeyEnterprise,
		HasFigures: fg.Year > 0, FiguresYear: fg.Year, RevenueFen: fg.RevenueFen, TaxPaidFen: fg.TaxPaidFen,
		RDRatioPercent: fg.RDRatioPercent, LandAreaMu: fg.LandAreaMu, Headcount: fg.Headcount}
	for _, fl := range f.Flags {
		fc.FlagMask |= flagBit(fl)
	}
	if fc.HasFigures {
		// rd_expense = revenue × ratio / 100, rounded down to the fen; the
		// ratio is taken to 1/10000 of a percent so the product stays exact.
		ratio := int64(math.Round(fg.RDRatioPercent * 10_000))
		fc.RDExpenseFen = mulDiv(fg.RevenueFen, ratio, 1_000_000)
		if fg.LandAreaMu > 0 {
			mu := int64(math.Round(fg.LandAreaMu * 100))
			if mu > 0 {
				fc.TaxPerMuFen = mulDiv(fg.TaxPaidFen, 100, mu)
				fc.RevenuePerMuFen = mulDiv(fg.RevenueFen, 100, mu)
			}
		}
	}
	return fc
}

// mulDiv returns a × b / c rounded down, for a, b >= 0 and c > 0, without
// overflowing in between; results beyond int64 saturate, negatives are 0.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
