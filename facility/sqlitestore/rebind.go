package sqlitestore

import "strings"

// unplanned returns q with each parameter behind a unary plus (?1 becomes +?1), which changes no
// result: a parameter has no affinity for the plus to take away.
//
// Why: the SQLite that go-sqlite3 bundles (3.54) lets the planner look at a parameter's bound
// value in some places (LIMIT ?, an equality in a join) and then marks the statement to be
// compiled again when its bindings are cleared, which go-sqlite3 does before every run. The
// feed's read was compiled anew on every run: 320 µs a run instead of 6 µs, most of a woken
// long-poll's cost. Behind the plus the planner does not look at the value, the plan is the same.
// Statements are cached under their own text; only the prepared text is changed.
func unplanned(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`' || c == '[':
			// A quoted string or name: copied as it is, up to its closing quote ('' inside
			// a string is an escaped quote and continues it).
			end := c
			if c == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(q) {
				if q[j] == end {
					if end != ']' && j+1 < len(q) && q[j+1] == end {
						j += 2 // a doubled quote stays inside
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : j+1])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+2+j+2])
			i += 2 + j + 1
		case c == '?':
			b.WriteString("+?")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
