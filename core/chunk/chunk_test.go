package chunk

import (
	"errors"
	"slices"
	"testing"
)

func TestEach(t *testing.T) {
	vs := make([]int, 1201)
	for i := range vs {
		vs[i] = i
	}
	var sizes []int
	var all []int
	if err := Each(vs, func(p []int) error { sizes = append(sizes, len(p)); all = append(all, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sizes, []int{500, 500, 201}) || !slices.Equal(all, vs) {
		t.Fatalf("sizes %v", sizes)
	}
	calls := 0
	if err := Each([]int(nil), func([]int) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatal("empty input must not call fn")
	}
	boom := errors.New("boom")
	calls = 0
	if err := Each(vs, func([]int) error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestUnique(t *testing.T) {
	var got []string
	_ = Unique([]string{"a", "b", "a", "c", "b"}, func(p []string) error { got = append(got, p...); return nil })
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("got %v", got)
	}
}
