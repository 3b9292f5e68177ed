package workday

import (
	"testing"
	"time"
)

// Benchmark inputs cycle through many instants so no single path is cached.
func benchInstants(b *testing.B) []time.Time {
	b.Helper()
	start := at(b, "2025-02-03 08:17")
	out := make([]time.Time, 1024)
	for i := range out {
		out[i] = start.Add(time.Duration(i)*12*time.Hour + time.Duration(i)*7*time.Minute)
	}
	return out
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c, ts := seedCalendar(b), benchInstants(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.AddWorkingDays(ts[i%len(ts)], 1+i%20); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddWorkingTime(b *testing.B) {
	c, ts := seedCalendar(b), benchInstants(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d := time.Duration(i%200-100) * 37 * time.Minute
		if _, err := c.AddWorkingTime(ts[i%len(ts)], d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWorkingTimeBetween(b *testing.B) {
	c, ts := seedCalendar(b), benchInstants(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.WorkingTimeBetween(ts[i%len(ts)], ts[(i*7+3)%len(ts)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIsWorkingDay(b *testing.B) {
	c := seedCalendar(b)
	first := date(b, "2025-01-01")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.IsWorkingDay(first.AddDays(i % 730)); err != nil {
			b.Fatal(err)
		}
	}
}
