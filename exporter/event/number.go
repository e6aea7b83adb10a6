package event

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// maxExponent bounds a decimal exponent far beyond any int64, so the arithmetic on it
// cannot overflow while 0e999999999999999999 still reads as the zero it is.
const maxExponent = 1 << 20

// parseInteger reads a decimal number, [+-]digits[.digits][(e|E)[+-]digits], and reports
// whether it is an integer from 0 to limit. The check is exact, without float64, so
// 2.0 and 1e3 are integers, 2.5 is not, and a large customer id keeps every digit.
func parseInteger(s string, limit uint64) (uint64, bool) {
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	digits, exp, ok := splitNumber(s)
	if !ok {
		return 0, false
	}
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return 0, true // zero, whatever its sign and exponent
	}
	if neg {
		return 0, false
	}
	for strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		exp++
	}
	if exp < 0 || len(digits)+exp > 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	for ; exp > 0 && err == nil; exp-- {
		if n > math.MaxUint64/10 {
			return 0, false
		}
		n *= 10
	}
	if err != nil || n > limit {
		return 0, false
	}
	return n, true
}

// splitNumber splits an unsigned decimal number into its significant digits and the power
// of ten they are scaled by: "12.5e3" is "125" and 2.
func splitNumber(s string) (digits string, exp int, ok bool) {
	intEnd := digitsEnd(s, 0)
	if intEnd == 0 {
		return "", 0, false
	}
	digits, s = s[:intEnd], s[intEnd:]
	frac := ""
	if strings.HasPrefix(s, ".") {
		end := digitsEnd(s, 1)
		if end == 1 {
			return "", 0, false
		}
		frac, s = s[1:end], s[end:]
	}
	if s != "" {
		if s[0] != 'e' && s[0] != 'E' {
			return "", 0, false
		}
		exp, ok = parseExponent(s[1:])
		if !ok {
			return "", 0, false
		}
	}
	return digits + frac, exp - len(frac), true
}

func parseExponent(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return max(-maxExponent, min(n, maxExponent)), true
}

// digitsEnd returns the index of the first byte at or after i that is not an ASCII
// digit.
func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
