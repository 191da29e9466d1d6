package rt

import (
	"sort"
	"strings"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Header lists are kept as ordered slices (names compared case-insensitively), never as maps:
// a request has ~10 headers and a linear scan beats hashing.

func hdrGet(hs []*pb.Header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value, true
		}
	}
	return "", false
}

func hdrClear(hs []*pb.Header, name string) []*pb.Header {
	out := hs[:0]
	for _, h := range hs {
		if !strings.EqualFold(h.Name, name) {
			out = append(out, h)
		}
	}
	for i := len(out); i < len(hs); i++ {
		hs[i] = nil
	}
	return out
}

func hdrSet(hs []*pb.Header, name, value string) []*pb.Header {
	return append(hdrClear(hs, name), &pb.Header{Name: name, Value: value})
}

func hdrAdd(hs []*pb.Header, name, value string) []*pb.Header {
	return append(hs, &pb.Header{Name: name, Value: value})
}

// hdrMap builds Kong's get_headers table: lower-cased names, at most max names (-1 or 0 -> 100).
func hdrMap(hs []*pb.Header, max int) map[string][]string {
	if max <= 0 {
		max = 100
	}
	m := make(map[string][]string, len(hs))
	for _, h := range hs {
		k := strings.ToLower(h.Name)
		if _, ok := m[k]; !ok && len(m) >= max {
			continue
		}
		m[k] = append(m[k], h.Value)
	}
	return m
}

// sortedKeys gives map-valued PDK arguments (SetHeaders, Exit headers, SetQuery) a stable order.
func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// HeadersFromMap turns a go-pdk header map into an ordered header list (sorted by name).
func HeadersFromMap(m map[string][]string) []*pb.Header {
	var hs []*pb.Header
	for _, k := range sortedKeys(m) {
		for _, v := range m[k] {
			hs = append(hs, &pb.Header{Name: k, Value: v})
		}
	}
	return hs
}
