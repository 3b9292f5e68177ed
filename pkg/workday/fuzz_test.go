package workday

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func FuzzParseYear(f *testing.F) {
	for _, name := range []string{"cn-2025.yaml", "cn-2026.yaml"} {
		data, err := os.ReadFile(filepath.Join(seedDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"year":2026,"off":["2026-01-01"],"work":["2026-01-04"]}`))
	f.Add([]byte("year: 2026\noff: &o [2026-01-01]\nwork: *o\n"))
	f.Add([]byte("year: 2026\noff: [~, {a: 1}, [2026-01-01]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := ParseYear(data)
		if err != nil {
			return
		}
		if err := y.Validate(); err != nil {
			t.Fatalf("ParseYear returned an invalid year: %v", err)
		}
		c, err := New("fuzz", shanghai, nil, y)
		if err != nil {
			t.Fatalf("New rejected a parsed year: %v", err)
		}
		if !slices.Equal(c.Years(), []int{y.Year}) {
			t.Fatalf("Years = %v", c.Years())
		}
		for _, d := range y.Work {
			if w, err := c.IsWorkingDay(d); err != nil || !w {
				t.Fatalf("work day %s: IsWorkingDay = %v, %v", d, w, err)
			}
		}
		for _, d := range y.Off {
			if w, err := c.IsWorkingDay(d); err != nil || w {
				t.Fatalf("off day %s: IsWorkingDay = %v, %v", d, w, err)
			}
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-09-20", "0001-01-01", "9999-12-31", "2024-02-29", "2026-02-29", "", "2026-9-20", "-001-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		text, err := d.MarshalText()
		if err != nil || string(text) != s {
			t.Fatalf("MarshalText = %q, %v", text, err)
		}
		y, m, day := d.Date()
		if MakeDate(y, m, day) != d {
			t.Fatalf("MakeDate(Date()) != %s", d)
		}
	})
}
