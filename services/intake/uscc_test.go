package intake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parkdesk/parkdesk/pkg/fault"
	"github.com/parkdesk/parkdesk/services/intake"
)

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func TestParseUSCC(t *testing.T) {
	cases := []struct {
		name, in, want string
		reason         string // part of the error; "" means valid
	}{
		// Published codes of real firms and the standard's own example: the
		// check digit is computed independently of this package.
		{"GB 32100 example", "91350100M000100Y43", "91350100M000100Y43", ""},
		{"Huawei Technologies", "914403001922038216", "914403001922038216", ""},
		{"Tencent Shenzhen", "9144030071526726XG", "9144030071526726XG", ""},
		{"Alibaba China", "91330100799655058B", "91330100799655058B", ""},
		{"check digit 0 via 31", "91110000100005220B", "91110000100005220B", ""},
		{"lower case and spaces normalised", "  91350100m000100y43 ", "91350100M000100Y43", ""},
		{"seeded synthetic", "91430112MA4PD0016U", "91430112MA4PD0016U", ""},
		{"empty", "", "", "required"},
		{"too short", "91350100M000100Y4", "", "18 characters"},
		{"too long", "91350100M000100Y433", "", "18 characters"},
		{"letter I", "91350100M000100I43", "", "may contain only"},
		{"letter O", "9135O100M000100Y43", "", "may contain only"},
		{"letter S", "91350100S000100Y43", "", "may contain only"},
		{"letter V", "91350100V000100Y43", "", "may contain only"},
		{"letter Z", "91350100Z000100Y43", "", "may contain only"},
		{"punctuation", "91350100-000100Y43", "", "may contain only"},
		{"wide characters", "９１350100M000100Y43", "", "18 characters"},
		{"unknown authority", "B1350100M000100Y43", "", "registration authority"},
		{"division not digits", "9135A100M000100Y43", "", "administrative division"},
		{"wrong check digit", "91350100M000100Y44", "", "check digit"},
		{"transposed digits", "91530100M000100Y43", "", "check digit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := intake.ParseUSCC(c.in)
			if c.reason == "" {
				if err != nil || got != c.want {
					t.Fatalf("ParseUSCC(%q) = %q, %v; want %q", c.in, got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseUSCC(%q) accepted %q", c.in, got)
			}
			var ve *fault.ValidationError
			if !errors.Is(err, fault.ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != "uscc" ||
				!strings.Contains(ve.Fields[0].Reason, c.reason) {
				t.Fatalf("ParseUSCC(%q) = %v; want an invalid uscc error containing %q", c.in, err, c.reason)
			}
		})
	}
}

// Every single-character substitution in the first 17 characters changes the
// check sum modulo 31 (each weight is a power of 3, invertible mod 31), so a
// mistyped character is always caught.
func TestUSCCCatchesEverySubstitution(t *testing.T) {
	for _, valid := range []string{"91350100M000100Y43", "914403001922038216", "91430112MA4PD0016U"} {
		for i := 0; i < 17; i++ {
			for _, r := range usccAlphabet {
				if byte(r) == valid[i] || (i >= 2 && i < 8 && (r < '0' || r > '9')) {
					continue
				}
				bad := valid[:i] + string(r) + valid[i+1:]
				if i == 0 && !strings.ContainsRune("123456789ANY", r) {
					continue
				}
				if _, err := intake.ParseUSCC(bad); err == nil {
					t.Fatalf("%s (position %d changed) accepted", bad, i+1)
				}
			}
		}
	}
}

func TestSyntheticUSCC(t *testing.T) {
	seen := map[string]bool{}
	for _, body := range []string{"4PD001", "4PD002", "4L0000", "000000", "XYZ123"} {
		u, ok := intake.SyntheticUSCC("430112", body)
		if body == "XYZ123" {
			if ok {
				t.Fatalf("body with Z accepted: %s", u)
			}
			continue
		}
		if !ok {
			t.Fatalf("SyntheticUSCC(%s) failed", body)
		}
		if got, err := intake.ParseUSCC(u); err != nil || got != u {
			t.Fatalf("synthetic %s does not parse: %v", u, err)
		}
		if !strings.HasPrefix(u, "91430112MA"+body) || seen[u] {
			t.Fatalf("synthetic %s: wrong layout or repeated", u)
		}
		seen[u] = true
	}
	if _, ok := intake.SyntheticUSCC("43011", "4PD001"); ok {
		t.Fatal("short division accepted")
	}
}

func FuzzParseUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "914403001922038216", "", "91350100M000100Y44", "９１350100", "91430112MA4PD0016u"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := intake.ParseUSCC(s)
		if err != nil {
			if !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("error of the wrong kind: %v", err)
			}
			return
		}
		if len(got) != intake.USCCLength {
			t.Fatalf("accepted %q of length %d", got, len(got))
		}
		for i := 0; i < len(got); i++ {
			if !strings.ContainsRune(usccAlphabet, rune(got[i])) {
				t.Fatalf("accepted %q with %q", got, got[i])
			}
		}
		if cd, ok := intake.USCCCheckDigit(got[:17]); !ok || cd != got[17] {
			t.Fatalf("accepted %q whose check digit should be %q", got, cd)
		}
		if again, err := intake.ParseUSCC(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q → %q, %v", got, again, err)
		}
	})
}

func BenchmarkParseUSCC(b *testing.B) {
	for b.Loop() {
		if _, err := intake.ParseUSCC("91350100M000100Y43"); err != nil {
			b.Fatal(err)
		}
	}
}
