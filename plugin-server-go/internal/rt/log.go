package rt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// Log appends a LogLine mutation (kong.log.<level>). The arguments are joined the way Lua's
// kong.log concatenates tostring()'d values: no separator, nil -> "nil", numbers with %.14g.
func (e *Event) Log(level pb.LogLevel, args []interface{}) error {
	if err := e.check(); err != nil {
		return err
	}
	e.push(&pb.Mutation{Op: &pb.Mutation_Log{Log: &pb.LogLine{Level: level, Message: LuaConcat(args)}}})
	return nil
}

// LuaConcat joins values like Lua's tostring + concatenation.
func LuaConcat(args []interface{}) string {
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	var b strings.Builder
	for _, a := range args {
		switch v := a.(type) {
		case nil:
			b.WriteString("nil")
		case string:
			b.WriteString(v)
		case []byte:
			b.Write(v)
		case bool:
			b.WriteString(strconv.FormatBool(v))
		case int:
			b.WriteString(strconv.Itoa(v))
		case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			fmt.Fprint(&b, v)
		case float32:
			b.WriteString(luaNumber(float64(v)))
		case float64:
			b.WriteString(luaNumber(v))
		case error:
			b.WriteString(v.Error())
		case fmt.Stringer:
			b.WriteString(v.String())
		default:
			fmt.Fprint(&b, v)
		}
	}
	return b.String()
}

func luaNumber(f float64) string {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// Serialize builds kong.log.serialize()'s JSON locally from the snapshot (no round trip).
// route and service carry ids only (the snapshot does not hold the full entities).
//
// The output is byte-for-byte what json.Marshal gives for the equivalent nested maps (keys
// sorted, HTML characters and U+2028/U+2029 escaped, invalid UTF-8 as \ufffd; all numbers are
// integers), written by hand with appends: no reflection, no maps, one allocation for the
// returned string. log_test.go compares it against the map+json.Marshal form.
func (e *Event) Serialize() (string, error) {
	if err := e.check(); err != nil {
		return "", err
	}
	s := serializerPool.Get().(*serializer)
	b := s.serialize(e.call)
	out := string(b)
	s.release()
	return out, nil
}

// serializer holds the scratch space of one Serialize call; pooled, reused.
type serializer struct {
	buf   []byte
	kvs   []queryArg // headers or query arguments of one object, stably sorted by key
	lower []byte     // lowercased header names (kvs keys point into it)
}

var serializerPool = sync.Pool{New: func() interface{} { return &serializer{buf: make([]byte, 0, 2048)} }}

// release returns s to the pool unless one huge request left it with oversized buffers.
func (s *serializer) release() {
	if cap(s.buf) > 64<<10 || cap(s.kvs) > 1024 || cap(s.lower) > 16<<10 {
		return
	}
	clear(s.kvs[:cap(s.kvs)]) // drop references to the snapshot's strings
	serializerPool.Put(s)
}

// serialize writes the JSON into s.buf and returns it (valid until s is reused).
// Top-level and nested keys are written in sorted order, as json.Marshal sorts map keys.
func (s *serializer) serialize(c *pb.PhaseCall) []byte {
	r := c.GetRequest()
	resp := c.GetResponse()
	li := c.GetLog()
	b := s.buf[:0]

	b = append(b, '{')
	if cr := c.Credential; cr != nil {
		b = append(b, `"authenticated_entity":{"consumer_id":`...)
		b = appendJSONString(b, cr.ConsumerId)
		b = append(b, `,"id":`...)
		b = appendJSONString(b, cr.Id)
		b = append(b, "},"...)
	}
	b = append(b, `"client_ip":`...)
	b = appendJSONString(b, r.GetClientIp())
	if cons := c.Consumer; cons != nil {
		b = append(b, `,"consumer":{`...)
		if cons.CustomId != "" {
			b = append(b, `"custom_id":`...)
			b = appendJSONString(b, cons.CustomId)
			b = append(b, ',')
		}
		b = append(b, `"id":`...)
		b = appendJSONString(b, cons.Id)
		if cons.Username != "" {
			b = append(b, `,"username":`...)
			b = appendJSONString(b, cons.Username)
		}
		b = append(b, '}')
	}
	b = append(b, `,"latencies":{"kong":`...)
	b = strconv.AppendInt(b, li.GetProxyLatencyMs(), 10)
	b = append(b, `,"proxy":`...)
	b = strconv.AppendInt(b, li.GetUpstreamLatencyMs(), 10)
	b = append(b, `,"receive":0,"request":`...)
	b = strconv.AppendInt(b, li.GetRequestLatencyMs(), 10)

	b = append(b, `},"request":{"headers":`...)
	b = s.appendHeaders(b, r.GetHeaders())
	b = append(b, `,"id":`...)
	b = appendJSONString(b, r.GetRequestId())
	b = append(b, `,"method":`...)
	b = appendJSONString(b, r.GetMethod())
	b = append(b, `,"querystring":`...)
	b = s.appendQuery(b, r.GetRawQuery())
	b = append(b, `,"size":`...)
	b = strconv.AppendUint(b, li.GetBytesReceived(), 10)
	b = append(b, `,"uri":"`...)
	b = appendURI(b, r.GetPath(), r.GetRawQuery())
	b = append(b, `","url":"`...)
	b = appendURL(b, r)
	b = append(b, '"')

	b = append(b, `},"response":{"headers":`...)
	b = s.appendHeaders(b, resp.GetHeaders())
	b = append(b, `,"size":`...)
	b = strconv.AppendUint(b, li.GetBytesSent(), 10)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(resp.GetStatus()), 10)
	b = append(b, '}')
	if c.RouteId != "" {
		b = append(b, `,"route":{"id":`...)
		b = appendJSONString(b, c.RouteId)
		b = append(b, '}')
	}
	if c.ServiceId != "" {
		b = append(b, `,"service":{"id":`...)
		b = appendJSONString(b, c.ServiceId)
		b = append(b, '}')
	}
	b = append(b, `,"source":`...)
	b = appendJSONString(b, resp.GetSource())
	b = append(b, `,"started_at":`...)
	b = strconv.AppendInt(b, r.GetStartTimeMs(), 10)
	if t := li.GetUpstreamTarget(); t != "" {
		b = append(b, `,"tries":[{"ip":`...)
		b = appendJSONString(b, hostOf(t))
		b = append(b, `,"port":`...)
		b = strconv.AppendInt(b, int64(portOf(t)), 10)
		b = append(b, `}],"upstream_status":"`...)
		b = strconv.AppendInt(b, int64(resp.GetServiceStatus()), 10)
		b = append(b, '"')
	}
	b = append(b, `,"upstream_uri":`...)
	b = appendJSONString(b, li.GetUpstreamUri())
	b = append(b, '}')
	s.buf = b
	return b
}

// appendHeaders writes headers as one object: names lowercased, a repeated name as an array of
// its values in order of appearance.
func (s *serializer) appendHeaders(b []byte, hs []*pb.Header) []byte {
	// Lowercase the names that need it into s.lower, sized up front so it never moves while
	// s.kvs points into it.
	need := 0
	for _, h := range hs {
		if hasASCIIUpper(h.Name) {
			need += len(h.Name)
		}
	}
	if cap(s.lower) < need {
		s.lower = make([]byte, 0, need)
	}
	lower := s.lower[:0]
	kvs := s.kvs[:0]
	for _, h := range hs {
		k := h.Name
		if !isASCII(k) {
			k = strings.ToLower(k)
		} else if hasASCIIUpper(k) {
			start := len(lower)
			for i := 0; i < len(k); i++ {
				c := k[i]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				lower = append(lower, c)
			}
			k = unsafe.String(&lower[start], len(k))
		}
		kvs = append(kvs, queryArg{key: k, value: h.Value})
	}
	s.lower = lower
	s.kvs = kvs
	return appendKVObject(b, kvs)
}

// appendQuery writes the query string as Kong's serializer does: '&'-separated arguments,
// decoded, "?foo" as true, a repeated key as an array in order of appearance.
func (s *serializer) appendQuery(b []byte, raw string) []byte {
	s.kvs = parseQuery(s.kvs[:0], raw)
	return appendKVObject(b, s.kvs)
}

// appendKVObject sorts kvs stably by key and writes them as one JSON object.
func appendKVObject(b []byte, kvs []queryArg) []byte {
	if !slices.IsSortedFunc(kvs, cmpKV) {
		slices.SortStableFunc(kvs, cmpKV)
	}
	b = append(b, '{')
	for i := 0; i < len(kvs); {
		j := i + 1
		for j < len(kvs) && kvs[j].key == kvs[i].key {
			j++
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, kvs[i].key)
		b = append(b, ':')
		if j-i == 1 {
			b = appendKVValue(b, &kvs[i])
		} else {
			b = append(b, '[')
			for k := i; k < j; k++ {
				if k > i {
					b = append(b, ',')
				}
				b = appendKVValue(b, &kvs[k])
			}
			b = append(b, ']')
		}
		i = j
	}
	return append(b, '}')
}

func cmpKV(a, b queryArg) int { return strings.Compare(a.key, b.key) }

func appendKVValue(b []byte, kv *queryArg) []byte {
	if kv.flag {
		return append(b, "true"...)
	}
	return appendJSONString(b, kv.value)
}

// appendURI writes path[?rawQuery], escaped, without quotes. The '?' between keeps the two
// escapes independent (invalid UTF-8 cannot straddle an ASCII byte).
func appendURI(b []byte, path, rawQuery string) []byte {
	b = appendEscaped(b, path)
	if rawQuery != "" {
		b = append(b, '?')
		b = appendEscaped(b, rawQuery)
	}
	return b
}

// appendURL writes scheme://host[:port]path[?query], escaped, without quotes; the port is left
// out when it is the scheme's default (or 0).
func appendURL(b []byte, r *pb.RequestSnapshot) []byte {
	scheme, host, p := r.GetScheme(), r.GetHost(), r.GetPort()
	b = appendEscaped(b, scheme)
	b = append(b, "://"...)
	if !(scheme == "http" && p == 80) && !(scheme == "https" && p == 443) && p != 0 {
		b = appendEscaped(b, host)
		b = append(b, ':')
		b = strconv.AppendUint(b, uint64(p), 10)
		return appendURI(b, r.GetPath(), r.GetRawQuery())
	}
	path := r.GetPath()
	if host != "" && host[len(host)-1] >= utf8.RuneSelf && path != "" && path[0] >= utf8.RuneSelf {
		// Bytes of one UTF-8 sequence may be split between host and path: escape them joined,
		// as json.Marshal sees them (rare; allocates).
		return appendURI(b, host+path, r.GetRawQuery())
	}
	b = appendEscaped(b, host)
	return appendURI(b, path, r.GetRawQuery())
}

// appendJSONString writes s as a JSON string, escaped exactly as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// jsonSafe[c]: the ASCII byte c is written as is (encoding/json's htmlSafeSet: not a control
// character, '"', '\\', '<', '>' or '&').
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return
}()

// appendEscaped writes the contents of a JSON string for s (no quotes), with encoding/json's
// escaping (Go >= 1.22): \" \\ \b \f \n \r \t, other control characters and <, >, & as
// \u00XX, invalid UTF-8 bytes as \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func hasASCIIUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

func hostOf(hp string) string {
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		return hp[:i]
	}
	return hp
}

func portOf(hp string) int {
	if i := strings.LastIndexByte(hp, ':'); i >= 0 {
		p, _ := strconv.Atoi(hp[i+1:])
		return p
	}
	return 0
}
