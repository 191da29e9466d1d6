package rt

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

// serializeMapJSON is the previous Serialize (nested maps + json.Marshal), kept as the
// reference the append-based encoder must match byte for byte.
func serializeMapJSON(c *pb.PhaseCall) (string, error) {
	r := c.Request
	resp := c.GetResponse()
	li := c.GetLog()

	uri := r.Path
	if r.RawQuery != "" {
		uri += "?" + r.RawQuery
	}
	port := ""
	if !(r.Scheme == "http" && r.Port == 80) && !(r.Scheme == "https" && r.Port == 443) && r.Port != 0 {
		port = ":" + strconv.Itoa(int(r.Port))
	}
	qs := map[string]interface{}{}
	for _, a := range parseQuery(nil, r.RawQuery) {
		var v interface{} = a.value
		if a.flag {
			v = true
		}
		if old, ok := qs[a.key]; ok {
			if l, ok := old.([]interface{}); ok {
				qs[a.key] = append(l, v)
			} else {
				qs[a.key] = []interface{}{old, v}
			}
		} else {
			qs[a.key] = v
		}
	}
	out := map[string]interface{}{
		"request": map[string]interface{}{
			"uri":         uri,
			"url":         r.Scheme + "://" + r.Host + port + uri,
			"querystring": qs,
			"method":      r.Method,
			"headers":     serializeHeadersMap(r.Headers),
			"size":        li.GetBytesReceived(),
			"id":          r.RequestId,
		},
		"upstream_uri": li.GetUpstreamUri(),
		"response": map[string]interface{}{
			"status":  resp.GetStatus(),
			"headers": serializeHeadersMap(resp.GetHeaders()),
			"size":    li.GetBytesSent(),
		},
		"latencies": map[string]interface{}{
			"kong":    li.GetProxyLatencyMs(),
			"proxy":   li.GetUpstreamLatencyMs(),
			"request": li.GetRequestLatencyMs(),
			"receive": 0,
		},
		"client_ip":  r.ClientIp,
		"started_at": r.StartTimeMs,
		"source":     resp.GetSource(),
	}
	if c.RouteId != "" {
		out["route"] = map[string]interface{}{"id": c.RouteId}
	}
	if c.ServiceId != "" {
		out["service"] = map[string]interface{}{"id": c.ServiceId}
	}
	if t := li.GetUpstreamTarget(); t != "" {
		out["tries"] = []interface{}{map[string]interface{}{"ip": hostOf(t), "port": portOf(t)}}
		out["upstream_status"] = strconv.Itoa(int(resp.GetServiceStatus()))
	}
	if cons := c.Consumer; cons != nil {
		m := map[string]interface{}{"id": cons.Id}
		if cons.Username != "" {
			m["username"] = cons.Username
		}
		if cons.CustomId != "" {
			m["custom_id"] = cons.CustomId
		}
		out["consumer"] = m
	}
	if cr := c.Credential; cr != nil {
		out["authenticated_entity"] = map[string]interface{}{"id": cr.Id, "consumer_id": cr.ConsumerId}
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func serializeHeadersMap(hs []*pb.Header) map[string]interface{} {
	m := map[string]interface{}{}
	for _, h := range hs {
		k := strings.ToLower(h.Name)
		if old, ok := m[k]; ok {
			if l, ok := old.([]string); ok {
				m[k] = append(l, h.Value)
			} else {
				m[k] = []string{old.(string), h.Value}
			}
		} else {
			m[k] = h.Value
		}
	}
	return m
}

// serializeSnapshots covers what the encoder has to get exactly like json.Marshal: key order,
// repeated headers and query keys, flags, optional objects, escaping and UTF-8.
func serializeSnapshots() map[string]*pb.PhaseCall {
	typical := &pb.PhaseCall{
		Phase: pb.Phase_PHASE_LOG,
		Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "example.com", Port: 8000, Path: "/some/path",
			Headers: []*pb.Header{{Name: "Host", Value: "example.com:8000"}, {Name: "User-Agent", Value: "wrk"},
				{Name: "Accept", Value: "*/*"}},
			ClientIp: "127.0.0.1", ClientPort: 50000, StartTimeMs: 1763950000123, RequestId: "0123456789abcdef"},
		Response: &pb.ResponseSnapshot{Status: 200, ServiceStatus: 200, Source: "service",
			Headers: []*pb.Header{{Name: "Server", Value: "nginx"}, {Name: "Date", Value: "Mon, 24 Nov 2026 02:00:00 GMT"},
				{Name: "Content-Type", Value: "text/plain"}, {Name: "Content-Length", Value: "2"}, {Name: "Connection", Value: "keep-alive"}}},
		RouteId: "r1", ServiceId: "s1",
		Log: &pb.LogInfo{RequestLatencyMs: 3, ProxyLatencyMs: 1, UpstreamLatencyMs: 2, UpstreamTarget: "127.0.0.1:8081",
			BytesSent: 150, BytesReceived: 80, UpstreamUri: "/some/path"},
	}
	return map[string]*pb.PhaseCall{
		"typical": typical,
		"multi": {
			Phase: pb.Phase_PHASE_LOG,
			Request: &pb.RequestSnapshot{Method: "POST", Scheme: "https", Host: "h", Port: 443, Path: "/p", RawQuery: "b=2&a=1&f&a=3&&=empty&a&c=x%20y+z&d=%zz&%E2%82%AC=eur",
				Headers: []*pb.Header{{Name: "X-A", Value: "1"}, {Name: "x-b", Value: "b"}, {Name: "x-a", Value: "2"}, {Name: "X-A", Value: "3"},
					{Name: "Cookie", Value: "a=1"}, {Name: "cookie", Value: "b=2"}},
				ClientIp: "::1", StartTimeMs: 99},
			Response:   &pb.ResponseSnapshot{Status: 401, Source: "exit", Headers: []*pb.Header{{Name: "Set-Cookie", Value: "x"}, {Name: "set-cookie", Value: "y"}, {Name: "Set-Cookie", Value: "z"}}},
			RouteId:    "r",
			Consumer:   &pb.Consumer{Id: "c", Username: "u", CustomId: "cid"},
			Credential: &pb.Credential{Id: "cred", ConsumerId: "c"},
			Log:        &pb.LogInfo{RequestLatencyMs: 7, ProxyLatencyMs: -1, UpstreamLatencyMs: -1},
		},
		"consumer_id_only": {
			Request:   &pb.RequestSnapshot{Method: "GET", Scheme: "https", Host: "h", Port: 8443, Path: "/"},
			Consumer:  &pb.Consumer{Id: "c"},
			ServiceId: "s",
			Log:       &pb.LogInfo{UpstreamTarget: "[::1]:9000", UpstreamUri: "/?q=<>&", BytesSent: 1 << 40},
			Response:  &pb.ResponseSnapshot{Status: 502, ServiceStatus: 502},
		},
		"no_response_no_log": {
			Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h", Port: 80, Path: "/"},
		},
		"odd_characters": {
			Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h\u00e9\xff", Path: "/a\"b\\c<d>e&f\x00\x01\b\f\n\r\t\x1f\x7f/\u2028\u2029/\u00fc\u20ac\U0001F600/\xc3/\xe2\x82/\xed\xa0\x80",
				RawQuery: "k%3C=%3E&%22q%22=%5C&u=%C3%BC%E2%80%A8&bad=%FF",
				Headers: []*pb.Header{{Name: "X-\u00dcml", Value: "\u00fc"}, {Name: "x-\u00fcml", Value: "2"}, {Name: "X-Ctl", Value: "a\x00b\x1bc"},
					{Name: "X-Html", Value: "<script>&amp;</script>"}, {Name: "X-Bad", Value: "\xff\xfe"}, {Name: "\xffX", Value: "v"}},
				ClientIp: "1.2.3.4\"", RequestId: "id\n"},
			Response: &pb.ResponseSnapshot{Status: 200, Source: "ser\u2028vice"},
			RouteId:  "r\\", ServiceId: "s\u00e9",
			Consumer:   &pb.Consumer{Id: "\u00e9", Username: "<u>", CustomId: "\x00"},
			Credential: &pb.Credential{Id: "&", ConsumerId: "\u2029"},
			Log:        &pb.LogInfo{UpstreamTarget: "noport", UpstreamUri: "\xe2\x80\xa8"},
		},
		"utf8_split_host_path": {
			// host ends and path starts inside one UTF-8 sequence: only valid joined.
			Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h\xe2", Port: 80, Path: "\x82\xac/x"},
		},
		"utf8_split_host_path_port": {
			Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h\xe2", Port: 81, Path: "\x82\xac/x"},
		},
		"empty_header_name_and_value": {
			Request:  &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h", Path: "/", Headers: []*pb.Header{{Name: "", Value: ""}, {Name: "", Value: "x"}}},
			Response: &pb.ResponseSnapshot{Headers: []*pb.Header{{Name: "A", Value: ""}}},
		},
		"many_headers": manyHeaders(),
	}
}

func manyHeaders() *pb.PhaseCall {
	c := &pb.PhaseCall{Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h", Path: "/"}, Response: &pb.ResponseSnapshot{}}
	for i := 0; i < 60; i++ {
		name := "X-H-" + strconv.Itoa((i*37)%23)
		c.Request.Headers = append(c.Request.Headers, &pb.Header{Name: name, Value: strconv.Itoa(i)})
		c.Response.Headers = append(c.Response.Headers, &pb.Header{Name: strings.ToLower(name), Value: strconv.Itoa(i)})
	}
	return c
}

func TestSerialize_matchesMapJSON(t *testing.T) {
	for name, c := range serializeSnapshots() {
		want, err := serializeMapJSON(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i := 0; i < 2; i++ { // the second time on a reused serializer
			got, err := newEvent(c).Serialize()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got != want {
				t.Errorf("%s:\n got %s\nwant %s", name, got, want)
			}
		}
		if !json.Valid([]byte(want)) {
			t.Errorf("%s: invalid JSON", name)
		}
	}
}

func TestAppendEscaped_matchesEncodingJSON(t *testing.T) {
	var all []byte
	for c := 0; c < 256; c++ {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", string(all), "\u2027\u2028\u2029\u202a", "\xed\xa0\x80\xef\xbf\xbd", "a\xf0\x9f\x98", "\xf4\x90\x80\x80"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q:\n got %s\nwant %s", s, got, want)
		}
	}
}

func TestSerialize_allocs(t *testing.T) {
	e := newEvent(serializeSnapshots()["typical"])
	_, _ = e.Serialize()
	if n := testing.AllocsPerRun(100, func() { _, _ = e.Serialize() }); n > 1 {
		t.Errorf("%v allocations per Serialize, want 1 (the string)", n)
	}
}

func BenchmarkSerialize(b *testing.B) {
	e := newEvent(serializeSnapshots()["typical"])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Serialize(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSerialize_mapJSON(b *testing.B) {
	c := serializeSnapshots()["typical"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := serializeMapJSON(c); err != nil {
			b.Fatal(err)
		}
	}
}
