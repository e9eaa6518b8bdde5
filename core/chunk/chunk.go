// Package chunk splits long value lists for IN (…) queries, which both
// engines bound by their number of bind parameters.
package chunk

// Size is how many values one call receives.
const Size = 500

// Each calls fn with at most Size values at a time, in order, and stops at
// the first error.
func Each[T any](vs []T, fn func([]T) error) error {
	for i := 0; i < len(vs); i += Size {
		if err := fn(vs[i:min(i+Size, len(vs))]); err != nil {
			return err
		}
	}
	return nil
}

// Unique calls Each with the distinct values of vs (first occurrence kept).
func Unique[T comparable](vs []T, fn func([]T) error) error {
	seen := make(map[T]bool, len(vs))
	u := make([]T, 0, len(vs))
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			u = append(u, v)
		}
	}
	return Each(u, fn)
}
