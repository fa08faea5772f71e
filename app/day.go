package app

import (
	"fmt"
	"time"
)

// PartOfDay names the time of day the way people say it.
func PartOfDay(t time.Time) string {
	switch h := t.Hour(); {
	case h >= 5 && h < 12:
		return "morning"
	case h >= 12 && h < 17:
		return "afternoon"
	case h >= 17 && h < 21:
		return "evening"
	default:
		return "night"
	}
}

// DayInWords is the home screen's first line: "Sunday 22 November, afternoon".
func DayInWords(t time.Time) string {
	return fmt.Sprintf("%s %d %s, %s", t.Weekday(), t.Day(), t.Month(), PartOfDay(t))
}
