package history

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a time as the history commands take it: RFC 3339
// ("2026-07-01T12:00:00Z", fractions of a second allowed), a date
// ("2026-07-01", midnight local time), "now", or a duration ago from now:
// "10m", "1h30m", "2d" (days of 24 hours), "1w".
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "now" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, now.Location()); err == nil {
		return t, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-07-01T12:00:00Z), a date, nor a duration ago (10m, 2h, 3d)", s)
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("%q: a duration ago cannot be negative", s)
	}
	return now.Add(-d), nil
}

// ParseDuration reads a Go duration ("1h30m") that may also count days
// ("3d", 24 hours each) and weeks ("1w").
func ParseDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "dw")
		if i <= 0 {
			break
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil {
			break
		}
		unit := 24 * time.Hour
		if rest[i] == 'w' {
			unit *= 7
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
		if rest == "" {
			return total, nil
		}
		if d, err := time.ParseDuration(rest); err == nil {
			return total + d, nil
		}
	}
	return 0, fmt.Errorf("%q is not a duration such as 90m, 12h or 30d", s)
}
