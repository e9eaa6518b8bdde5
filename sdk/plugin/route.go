package plugin

import (
	"strings"

	"github.com/wuye-project/wuye/sdk/proto/wuyepb"
)

// MatchRoute finds the route for method and path (below the plugin's
// prefix) as the host does, so the host, the testkit and the plugin agree:
// ":param" segments match one non-empty segment; of several matching routes
// the one with a literal segment earliest wins (/activities/stats before
// /activities/:id), then the first declared. Params are the path's segments
// as given (the host passes them decoded).
func MatchRoute(routes []*wuyepb.Route, method, path string) (*wuyepb.Route, map[string]string, bool) {
	segs := splitPath(path)
	var (
		best      *wuyepb.Route
		bestScore []bool
	)
	for _, rt := range routes {
		if !strings.EqualFold(rt.GetMethod(), method) {
			continue
		}
		pat := splitPath(rt.GetPath())
		if len(pat) != len(segs) {
			continue
		}
		score := make([]bool, len(pat)) // true: a literal segment
		ok := true
		for i, ps := range pat {
			switch {
			case len(ps) > 1 && ps[0] == ':' && segs[i] != "":
			case ps == segs[i]:
				score[i] = true
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && (best == nil || better(score, bestScore)) {
			best, bestScore = rt, score
		}
	}
	if best == nil {
		return nil, nil, false
	}
	params := map[string]string{}
	for i, ps := range splitPath(best.GetPath()) {
		if len(ps) > 1 && ps[0] == ':' {
			params[ps[1:]] = segs[i]
		}
	}
	return best, params, true
}

// better: a literal where the other has a parameter, at the first difference.
func better(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// splitPath splits "/a/b/" into [a b]; empty segments (a//b) are kept so
// they match nothing.
func splitPath(p string) []string {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
