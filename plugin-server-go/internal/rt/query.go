package rt

import (
	"net/url"
	"strings"
)

type queryArg struct {
	key, value string
	flag       bool // "?foo" without '=' (Kong returns true; go-pdk drops it)
}

func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// parseQuery splits a raw query like nginx's get_uri_args: '&'-separated, '+' and %XX decoded.
func parseQuery(dst []queryArg, raw string) []queryArg {
	for raw != "" {
		var part string
		if i := strings.IndexByte(raw, '&'); i >= 0 {
			part, raw = raw[:i], raw[i+1:]
		} else {
			part, raw = raw, ""
		}
		if part == "" {
			continue
		}
		if i := strings.IndexByte(part, '='); i >= 0 {
			dst = append(dst, queryArg{key: unescape(part[:i]), value: unescape(part[i+1:])})
		} else {
			dst = append(dst, queryArg{key: unescape(part), flag: true})
		}
	}
	return dst
}

func (e *Event) queryArgs() []queryArg {
	if !e.queryOK {
		e.query = parseQuery(e.query[:0], e.call.Request.GetRawQuery())
		e.queryOK = true
	}
	return e.query
}

// EncodeQuery encodes a go-pdk query map (keys sorted) for set_query.
func EncodeQuery(m map[string][]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(m) {
		for _, v := range m[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}
