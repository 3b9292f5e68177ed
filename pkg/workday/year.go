package workday

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Year is one year of a park's calendar as the State Council notice sets
// it: the dates off work, and the weekend dates worked instead.
type Year struct {
	// Year is the calendar year, 1 to 9999.
	Year int `yaml:"year" json:"year"`
	// Source names the notice the lists come from.
	Source string `yaml:"source" json:"source"`
	// Off lists holidays and holiday-adjusted rest days. Weekend dates are
	// allowed (notices list whole ranges) and change nothing.
	Off []Date `yaml:"off" json:"off"`
	// Work lists weekend dates that are working days (调休上班).
	Work []Date `yaml:"work" json:"work"`
}

// Validate reports, as a *ValidationError naming each field, a year outside
// 1–9999, a date outside the year, a date listed twice, a date listed both
// off and work, and a work date that is not a Saturday or Sunday.
func (y Year) Validate() error {
	var p problems
	if y.Year < 1 || y.Year > 9999 {
		p.addf("year", "%d is outside 1-9999", y.Year)
		return p.err()
	}
	offAt := make(map[Date]int, len(y.Off))
	for i, d := range y.Off {
		field := fmt.Sprintf("off[%d]", i)
		switch j, dup := offAt[d]; {
		case d.Year() != y.Year:
			p.addf(field, "%s is not in year %d", d, y.Year)
		case dup:
			p.addf(field, "%s is already listed at off[%d]", d, j)
		default:
			offAt[d] = i
		}
	}
	workAt := make(map[Date]int, len(y.Work))
	for i, d := range y.Work {
		field := fmt.Sprintf("work[%d]", i)
		_, inOff := offAt[d]
		switch j, dup := workAt[d]; {
		case d.Year() != y.Year:
			p.addf(field, "%s is not in year %d", d, y.Year)
		case dup:
			p.addf(field, "%s is already listed at work[%d]", d, j)
		case inOff:
			p.addf(field, "%s is also listed in off", d)
		case d.Weekday() != time.Saturday && d.Weekday() != time.Sunday:
			p.addf(field, "%s is a %s; only a Saturday or Sunday can be a make-up working day", d, d.Weekday())
		default:
			workAt[d] = i
		}
	}
	return p.err()
}

// UnmarshalYAML decodes a Year from a YAML mapping. It rejects unknown
// fields, and null dates, which the YAML decoder would otherwise drop.
func (y *Year) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of year, source, off and work", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "year", "source":
		case "off", "work":
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			for j, item := range v.Content {
				if item.ShortTag() == "!!null" {
					return fmt.Errorf("line %d: %s[%d] is null, want a date", item.Line, k.Value, j)
				}
			}
		default:
			return fmt.Errorf("line %d: unknown field %q", k.Line, k.Value)
		}
	}
	type plain Year
	return n.Decode((*plain)(y))
}

func (y Year) clone() Year {
	y.Off = slices.Clone(y.Off)
	y.Work = slices.Clone(y.Work)
	return y
}

// ParseYear decodes one YAML (or JSON) document holding a Year, as
// Year.UnmarshalYAML does, and validates it.
func ParseYear(data []byte) (Year, error) {
	var y Year
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&y); err != nil {
		if errors.Is(err, io.EOF) {
			return Year{}, errors.New("workday: parse year: empty document")
		}
		return Year{}, fmt.Errorf("workday: parse year: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Year{}, errors.New("workday: parse year: want exactly one YAML document")
	}
	if err := y.Validate(); err != nil {
		return Year{}, err
	}
	return y, nil
}

// LoadYearFile reads and parses the Year in the YAML file at path.
func LoadYearFile(path string) (Year, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Year{}, fmt.Errorf("workday: %w", err)
	}
	y, err := ParseYear(data)
	if err != nil {
		return Year{}, fmt.Errorf("%s: %w", path, err)
	}
	return y, nil
}
