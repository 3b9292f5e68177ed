package workday

import (
	"math/rand"
	"testing"
	"time"
)

// fixture pairs a Calendar with the naive reference built from the same
// data, and the range of dates to draw instants from.
type fixture struct {
	name string
	c    *Calendar
	n    *naive
	from Date
	days int
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	ys := seedYears(t)
	seeds := fixture{name: "seeds", c: seedCalendar(t), n: newNaive("demo", shanghai, DefaultOfficeHours, ys...),
		from: date(t, "2024-12-20"), days: 760}

	// A gapped calendar in a zone with daylight saving, with odd office
	// hours: touching spans, a span from midnight and one to midnight. Its
	// 2025 has make-up days on both DST Sundays; 2027 is synthetic.
	ny := mustLoc("America/New_York")
	hours := OfficeHours{{hm(0, 0), hm(1, 0)}, {hm(8, 0), hm(12, 0)}, {hm(12, 0), hm(13, 0)}, {hm(22, 0), hm(24, 0)}}
	y2025 := ys[0].clone()
	y2025.Work = append(y2025.Work, dates(t, "2025-03-09", "2025-11-02")...)
	y2027 := Year{Year: 2027, Source: "test", Off: dates(t, "2027-01-01", "2027-07-05", "2027-12-24")}
	gapped, err := New("gapped", ny, hours, y2025, y2027)
	if err != nil {
		t.Fatal(err)
	}
	return []fixture{seeds, {name: "gapped", c: gapped, n: newNaive("gapped", ny, hours, y2025, y2027),
		from: date(t, "2024-12-20"), days: 3 * 366}}
}

func (f fixture) instant(r *rand.Rand) time.Time {
	y, m, d := f.from.AddDays(r.Intn(f.days)).Date()
	var pos time.Duration
	switch r.Intn(5) {
	case 0:
		pos = time.Duration(r.Int63n(int64(24 * time.Hour)))
	case 1, 2:
		s := f.c.hours[r.Intn(len(f.c.hours))]
		pos = []time.Duration{s.Start, s.End}[r.Intn(2)] + []time.Duration{0, 0, 1, -1, time.Second, -time.Second}[r.Intn(6)]
		pos = max(0, min(pos, 24*time.Hour-1))
	case 3:
		pos = []time.Duration{0, 24*time.Hour - 1, 12 * time.Hour}[r.Intn(3)]
	default:
		pos = time.Duration(r.Intn(24*60)) * time.Minute
	}
	t := time.Date(y, m, d, 0, 0, int(pos/time.Second), int(pos%time.Second), f.c.loc)
	if r.Intn(4) == 0 {
		t = t.UTC()
	}
	return t
}

func (f fixture) duration(r *rand.Rand) time.Duration {
	w := f.c.day
	var d time.Duration
	switch r.Intn(10) {
	case 0, 1:
		d = time.Duration(r.Intn(40)) * w
	case 2, 3, 4:
		d = time.Duration(r.Int63n(int64(40 * w)))
	case 5, 6:
		d = time.Duration(r.Intn(20))*w + f.c.cum[r.Intn(len(f.c.cum))] + time.Duration(r.Intn(3)-1)
	case 7, 8:
		d = time.Duration(r.Intn(180)) * time.Minute
	default:
		d = time.Duration(r.Int63n(int64(600 * w)))
	}
	if r.Intn(2) == 0 {
		d = -d
	}
	return d
}

func TestPropertyIsWorkingDay(t *testing.T) {
	for _, f := range fixtures(t) {
		for i := -30; i < f.days+30; i++ {
			d := f.from.AddDays(i)
			got, err := f.c.IsWorkingDay(d)
			want, wantErr := f.n.status(civilOf(d))
			if got != want || !sameYearNotLoaded(err, wantErr) {
				t.Fatalf("%s: IsWorkingDay(%s) = %v, %v; naive %v, %v", f.name, d, got, err, want, wantErr)
			}
		}
	}
}

func TestPropertyAddWorkingDays(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, f := range fixtures(t) {
		cases := 0
		for i := 0; i < f.days; i++ {
			y, m, d := f.from.AddDays(i).Date()
			for _, n := range []int{1, 2, 3, 5, 8, 13, 22, 1 + r.Intn(300)} {
				start := time.Date(y, m, d, 0, 0, r.Intn(secondsPerDay), r.Intn(1e9), f.c.loc)
				got, err := f.c.AddWorkingDays(start, n)
				want, wantErr := f.n.addDays(start, n)
				if !sameYearNotLoaded(err, wantErr) || (err == nil && (!got.Equal(want) || got.Location() != want.Location())) {
					t.Fatalf("%s: AddWorkingDays(%s, %d) = %v, %v; naive %v, %v", f.name, start, n, got, err, want, wantErr)
				}
				cases++
			}
		}
		t.Logf("%s: %d cases", f.name, cases)
	}
}

func TestPropertyAddWorkingTime(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, f := range fixtures(t) {
		ok := 0
		for i := 0; i < 6000; i++ {
			start, d := f.instant(r), f.duration(r)
			got, err := f.c.AddWorkingTime(start, d)
			want, wantErr := f.n.addTime(start, d)
			if !sameYearNotLoaded(err, wantErr) || (err == nil && (!got.Equal(want) || got.Location() != want.Location())) {
				t.Fatalf("%s: AddWorkingTime(%s, %v) = %v, %v; naive %v, %v", f.name, start, d, got, err, want, wantErr)
			}
			if err != nil {
				continue
			}
			ok++
			back, err := f.c.WorkingTimeBetween(start, got)
			if err == nil && back != d {
				t.Fatalf("%s: WorkingTimeBetween(%s, AddWorkingTime(…, %v) = %s) = %v", f.name, start, d, got, back)
			}
		}
		t.Logf("%s: %d of 6000 cases succeeded", f.name, ok)
		if ok < 3000 {
			t.Errorf("%s: only %d cases succeeded; the generator is off", f.name, ok)
		}
	}
}

func TestPropertyWorkingTimeBetween(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for _, f := range fixtures(t) {
		for i := 0; i < 6000; i++ {
			a, b, c := f.instant(r), f.instant(r), f.instant(r)
			if r.Intn(3) == 0 {
				b = a.Add(time.Duration(r.Int63n(int64(96 * time.Hour))))
			}
			ab, err1 := f.c.WorkingTimeBetween(a, b)
			want, wantErr := f.n.between(a, b)
			if !sameYearNotLoaded(err1, wantErr) || ab != want {
				t.Fatalf("%s: WorkingTimeBetween(%s, %s) = %v, %v; naive %v, %v", f.name, a, b, ab, err1, want, wantErr)
			}
			bc, err2 := f.c.WorkingTimeBetween(b, c)
			ac, err3 := f.c.WorkingTimeBetween(a, c)
			if err1 == nil && err2 == nil && err3 == nil && ab+bc != ac {
				t.Fatalf("%s: a→b %v + b→c %v != a→c %v (a %s, b %s, c %s)", f.name, ab, bc, ac, a, b, c)
			}
		}
	}
}

// inSpan returns a random instant on a random working day of f, at a time
// of day in (Start, End] of a span if openStart, else in [Start, End).
func (f fixture) inSpan(r *rand.Rand, openStart bool) (time.Time, bool) {
	d := f.from.AddDays(r.Intn(f.days))
	if w, err := f.c.IsWorkingDay(d); err != nil || !w {
		return time.Time{}, false
	}
	s := f.c.hours[r.Intn(len(f.c.hours))]
	off := []time.Duration{0, 1, time.Duration(r.Int63n(int64(s.End - s.Start))), s.End - s.Start - 1}[r.Intn(4)]
	if openStart {
		off = s.End - s.Start - off
	}
	y, m, day := d.Date()
	pos := s.Start + off
	return time.Date(y, m, day, 0, 0, int(pos/time.Second), int(pos%time.Second), f.c.loc), true
}

func TestPropertyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	for _, f := range fixtures(t) {
		checked := 0
		for i := 0; i < 20000; i++ {
			a := f.instant(r)
			x, ok := f.inSpan(r, true)
			if !ok || !x.After(a) {
				continue
			}
			d, err := f.c.WorkingTimeBetween(a, x)
			if err != nil {
				continue
			}
			checked++
			if got, err := f.c.AddWorkingTime(a, d); err != nil || !got.Equal(x) {
				t.Fatalf("%s: AddWorkingTime(%s, WorkingTimeBetween(…, %s) = %v) = %s, %v", f.name, a, x, d, got, err)
			}
			y, ok := f.inSpan(r, false)
			if !ok || !y.Before(x) {
				continue
			}
			if d, err = f.c.WorkingTimeBetween(y, x); err != nil {
				continue
			}
			if got, err := f.c.AddWorkingTime(x, -d); err != nil || !got.Equal(y) {
				t.Fatalf("%s: AddWorkingTime(%s, -%v) = %s, %v; want %s", f.name, x, d, got, err, y)
			}
		}
		t.Logf("%s: %d round trips checked", f.name, checked)
		if checked < 500 {
			t.Errorf("%s: only %d round trips checked", f.name, checked)
		}
	}
}

func TestPropertyMinuteWalk(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, f := range fixtures(t)[:1] {
		from := date(t, "2025-01-03")
		for i := 0; i < 500; i++ {
			y, m, d := from.AddDays(r.Intn(700)).Date()
			start := time.Date(y, m, d, r.Intn(24), r.Intn(60), 0, 0, f.c.loc)
			dur := time.Duration(r.Intn(2*7*60+1)-7*60) * time.Minute
			got, err := f.c.AddWorkingTime(start, dur)
			want, wantErr := f.n.minuteAdd(start, dur)
			if err != nil || wantErr != nil || !got.Equal(want) {
				t.Fatalf("AddWorkingTime(%s, %v) = %s, %v; minute walk %s, %v", start, dur, got, err, want, wantErr)
			}
			end := start.Add(time.Duration(r.Intn(5*24*60)) * time.Minute)
			between, err := f.c.WorkingTimeBetween(start, end)
			walked, wantErr := f.n.minuteBetween(start, end)
			if err != nil || wantErr != nil || between != walked {
				t.Fatalf("WorkingTimeBetween(%s, %s) = %v, %v; minute walk %v, %v", start, end, between, err, walked, wantErr)
			}
		}
	}
}
