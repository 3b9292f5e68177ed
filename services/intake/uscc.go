package intake

import (
	"strings"

	"github.com/parkdesk/parkdesk/pkg/fault"
)

// USCC (统一社会信用代码, GB 32100-2015) is 18 characters:
//
//	1     registration authority (登记管理部门代码)
//	2     organisation category (机构类别代码)
//	3–8   administrative division (登记管理机关行政区划码, GB/T 2260), digits
//	9–17  organisation code (主体标识码, GB 11714)
//	18    check digit over the first 17
//
// Every character comes from the 31-character alphabet below: the digits and
// the capital letters without I, O, S, V and Z. The check digit is
// 31 - (Σ value(cᵢ)·3^(i-1) mod 31) mod 31, read back through the alphabet.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// USCCLength is the length of a USCC.
const USCCLength = 18

// usccWeights are 3^(i-1) mod 31 for i = 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// usccValue maps a byte to its value in the alphabet, or -1.
var usccValue = func() [256]int8 {
	var v [256]int8
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(usccAlphabet); i++ {
		v[usccAlphabet[i]] = int8(i)
	}
	return v
}()

// usccAuthorities are the registration authority codes of GB 32100-2015
// (1 编办, 5 民政, 9 工商/市场监管, Y 其他, and the later 2–8, A, N).
const usccAuthorities = "123456789ANY"

// USCCCheckDigit returns the check character for the first 17 characters of a
// USCC, and false when one of them is outside the alphabet or there are not 17.
func USCCCheckDigit(first17 string) (byte, bool) {
	if len(first17) != USCCLength-1 {
		return 0, false
	}
	sum := 0
	for i := 0; i < len(first17); i++ {
		v := usccValue[first17[i]]
		if v < 0 {
			return 0, false
		}
		sum += int(v) * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31], true
}

// ParseUSCC normalises s (surrounding space trimmed, letters upper-cased) and
// checks it is a well-formed USCC whose check digit is right. The error is a
// fault.ErrInvalid naming the field "uscc" and saying what is wrong.
func ParseUSCC(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	reason := usccProblem(u)
	if reason != "" {
		return "", fault.Invalid("uscc", reason)
	}
	return u, nil
}

func usccProblem(u string) string {
	if u == "" {
		return "required"
	}
	if len(u) != USCCLength {
		return "must be 18 characters"
	}
	for i := 0; i < len(u); i++ {
		if usccValue[u[i]] < 0 {
			return "may contain only digits and the capital letters A–Y except I, O, S, V"
		}
	}
	if !strings.ContainsRune(usccAuthorities, rune(u[0])) {
		return "unknown registration authority (first character)"
	}
	for i := 2; i < 8; i++ {
		if u[i] < '0' || u[i] > '9' {
			return "characters 3 to 8 (administrative division) must be digits"
		}
	}
	want, _ := USCCCheckDigit(u[:17])
	if u[17] != want {
		return "check digit does not match (GB 32100-2015)"
	}
	return ""
}

// orgCodeCheck returns the GB 11714 check character of the 8-character body
// of an organisation code, used when generating synthetic USCCs.
func orgCodeCheck(body string) (byte, bool) {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	if len(body) != 8 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		default:
			return 0, false
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', true
	case 11:
		return '0', true
	default:
		return byte('0' + c), true
	}
}

// SyntheticUSCC builds a well-formed USCC for demo data: authority 9 and
// category 1 (an enterprise), the given 6-digit division code, an
// organisation code "MA" + 6 characters of body + its GB 11714 check, and the
// GB 32100 check digit. It returns false when the parts are malformed.
func SyntheticUSCC(division, body6 string) (string, bool) {
	if len(division) != 6 || len(body6) != 6 {
		return "", false
	}
	org := "MA" + body6
	oc, ok := orgCodeCheck(org)
	if !ok {
		return "", false
	}
	first := "91" + division + org + string(oc)
	cd, ok := USCCCheckDigit(first)
	if !ok {
		return "", false
	}
	u := first + string(cd)
	if usccProblem(u) != "" {
		return "", false
	}
	return u, true
}
