package sla

import (
	"math"
	"time"
)

// Groupings of the overview.
const (
	ByPark       = "park"
	ByDepartment = "department"
	ByMatter     = "matter"
	ByOfficer    = "officer"
)

// OverviewQuery asks for the figures of resolution clocks stopped in
// [From, To), grouped By one of park, department, matter or officer.
type OverviewQuery struct {
	// Park is the park; empty means every park (admin only).
	Park string
	From time.Time
	To   time.Time
	By   string
}

// OverviewRow holds the figures of one group. A rate is nil when nothing
// was there to count.
type OverviewRow struct {
	// Key is the park, department, matter code or officer id.
	Key string `json:"key"`
	// Completed counts resolution clocks stopped in the period.
	Completed int `json:"completed"`
	// OnTime counts those stopped by their deadline (按期办结).
	OnTime     int      `json:"on_time"`
	OnTimeRate *float64 `json:"on_time_rate"`
	// EarlyRate is the share finished at least one working day early.
	EarlyRate *float64 `json:"early_rate"`
	// AvgWorkingDaysUsed is the mean counted office time, in working days.
	AvgWorkingDaysUsed *float64 `json:"avg_working_days_used"`
	// AvgCommitmentDays is the mean commitment, extensions included.
	AvgCommitmentDays *float64 `json:"avg_commitment_days"`
	// CommitmentCompression is 1 − Σcommitment / Σlegal limit over the
	// clocks with a legal limit (承诺时限压缩率).
	CommitmentCompression *float64 `json:"commitment_compression"`
	// OnceOnlyRate is the share finished without a correction (一次办结率).
	OnceOnlyRate *float64 `json:"once_only_rate"`
	// OnlineRate is the share of the tickets filed online (网上办率).
	OnlineRate *float64 `json:"online_rate"`
	// Rated counts rated tickets; Satisfaction is the share rated 4 or 5
	// and AvgRating their mean score (好差评).
	Rated        int      `json:"rated"`
	Satisfaction *float64 `json:"satisfaction"`
	AvgRating    *float64 `json:"avg_rating"`
	// StageOverruns counts stage clocks breached in the period (环节超时),
	// even when the whole finished on time.
	StageOverruns int `json:"stage_overruns"`
	// YellowCards and RedCards count supervision cards issued in the period.
	YellowCards int `json:"yellow_cards"`
	RedCards    int `json:"red_cards"`
	// Score is the department score: see DepartmentScore. Set when grouped
	// by department or park.
	Score *float64 `json:"score,omitempty"`
}

// Overview is the manager's view of a period.
type Overview struct {
	Park   string        `json:"park,omitempty"`
	From   time.Time     `json:"from"`
	To     time.Time     `json:"to"`
	By     string        `json:"by"`
	Groups []OverviewRow `json:"groups"`
}

// Card penalties of DepartmentScore.
const (
	YellowCardPenalty = 2
	RedCardPenalty    = 5
)

// DepartmentScore is 100 × the on-time rate (100 when nothing finished),
// less YellowCardPenalty per yellow card and RedCardPenalty per red card,
// never below 0.
func DepartmentScore(r OverviewRow) float64 {
	base := 100.0
	if r.OnTimeRate != nil {
		base = math.Round(100 * *r.OnTimeRate)
	}
	return math.Max(0, base-float64(YellowCardPenalty*r.YellowCards+RedCardPenalty*r.RedCards))
}

func ratio(n, d float64) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(n/d*10000) / 10000
	return &v
}

// BreachQuery asks for a page of the open warnings and breaches.
type BreachQuery struct {
	// Park is the park; empty means every park (admin only).
	Park string
	// State is "yellow", "red" or empty for both.
	State    string
	Page     int
	PageSize int
}

// Page sizes of the breach list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// BreachPage is one page of open warnings and breaches, most urgent first:
// breaches before warnings, each by deadline.
type BreachPage struct {
	Items    []Clock `json:"items"`
	Page     int     `json:"page"`
	PageSize int     `json:"page_size"`
	Total    int     `json:"total"`
}

// ExtensionQuery asks for a park's extensions, optionally in one state.
type ExtensionQuery struct {
	Park  string
	State ExtensionState
}
