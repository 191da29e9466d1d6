package rt

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func newEvent(call *pb.PhaseCall) *Event {
	e := &Event{}
	e.Reset(context.Background(), call, nil)
	e.BeginInstance(1)
	return e
}

func TestEvent_headerMutationsVisibleAndOrdered(t *testing.T) {
	e := newEvent(&pb.PhaseCall{Request: &pb.RequestSnapshot{Headers: []*pb.Header{{Name: "A", Value: "1"}, {Name: "a", Value: "2"}}}})
	if v, _ := e.ReqHeader("a"); v != "1" {
		t.Fatalf("first value: %q", v)
	}
	_ = e.SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_SET, "a", "3")
	_ = e.SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_ADD, "B", "4")
	e.BeginInstance(2)
	_ = e.SvcReqHeaderOp(pb.HeaderAction_HEADER_ACTION_CLEAR, "b", "")
	if h, _ := e.ReqHeaders(-1); len(h["a"]) != 1 || h["a"][0] != "3" || h["b"] != nil {
		t.Errorf("headers %v", h)
	}
	if v, err := e.ReqHeader("missing"); v != "" || err != nil {
		t.Errorf("missing header: %q %v", v, err)
	}
	m := e.Mutations()
	if len(m) != 3 || m[0].InstanceId != 1 || m[2].InstanceId != 2 || m[2].GetRequestHeader().Action != pb.HeaderAction_HEADER_ACTION_CLEAR {
		t.Errorf("mutations %v", m)
	}
}

func TestEvent_methodQueryPathVisibility(t *testing.T) {
	e := newEvent(&pb.PhaseCall{Request: &pb.RequestSnapshot{Method: "GET", Path: "/p", RawQuery: "a=1"}})
	if v, _ := e.ReqQueryArg("a"); v != "1" {
		t.Fatal(v)
	}
	_ = e.SetSvcReq("raw_query", "a=2&b")
	_ = e.SetSvcReq("method", "POST")
	_ = e.SetSvcReq("path", "/upstream")
	if v, _ := e.ReqQueryArg("a"); v != "2" {
		t.Errorf("query after set_raw_query: %q", v)
	}
	if q, _ := e.ReqQuery(-1); len(q) != 1 {
		t.Errorf("flag args are dropped: %v", q)
	}
	if v, _ := e.ReqString("method"); v != "POST" {
		t.Errorf("method %q", v)
	}
	if v, _ := e.ReqString("path"); v != "/p" {
		t.Errorf("get_path is the path as received: %q", v)
	}
}

func TestEvent_exitStopsLaterCalls(t *testing.T) {
	e := newEvent(nil)
	if err := e.Exit(401, []byte(`{"message":"x"}`), true, map[string][]string{"B": {"2"}, "A": {"1"}}); err != nil {
		t.Fatal(err)
	}
	if !e.Exited() {
		t.Fatal("not exited")
	}
	if _, err := e.ReqHeader("a"); !errors.Is(err, ErrExited) {
		t.Errorf("getter after exit: %v", err)
	}
	if err := e.SetRespStatus(200); !errors.Is(err, ErrExited) {
		t.Errorf("setter after exit: %v", err)
	}
	ex := e.Mutations()[0].GetExit()
	if len(e.Mutations()) != 1 || ex.Status != 401 || ex.Headers[0].Name != "A" {
		t.Errorf("exit mutation %v", ex)
	}
}

func TestEvent_dropInstanceMutationsKeepsLogs(t *testing.T) {
	e := newEvent(nil)
	_ = e.SetRespStatus(201)
	e.BeginInstance(2)
	_ = e.SetRespStatus(500)
	_ = e.Log(pb.LogLevel_LOG_LEVEL_ERR, []interface{}{"x"})
	e.DropInstanceMutations()
	m := e.Mutations()
	if len(m) != 2 || m[0].GetResponseStatus() != 201 || m[1].GetLog() == nil {
		t.Errorf("%v", m)
	}
}

func TestEvent_sharedJSONLike(t *testing.T) {
	e := newEvent(&pb.PhaseCall{Shared: map[string]string{"n": "3"}})
	v, _ := e.SharedGet("n")
	if f, ok := v.(float64); !ok || f != 3 {
		t.Errorf("number reads back as float64: %#v", v)
	}
	_ = e.SharedSet("k", map[string]int{"a": 1})
	v, _ = e.SharedGet("k")
	if m, ok := v.(map[string]interface{}); !ok || m["a"] != float64(1) {
		t.Errorf("%#v", v)
	}
	_ = e.SharedSet("k", nil)
	if v, err := e.SharedGet("k"); v != nil || err != nil {
		t.Errorf("deleted: %v %v", v, err)
	}
	if m := e.Mutations(); len(m) != 2 || m[0].GetShared().JsonValue != `{"a":1}` || m[1].GetShared().JsonValue != "" {
		t.Errorf("%v", m)
	}
}

func TestLuaConcat(t *testing.T) {
	got := LuaConcat([]interface{}{"a", 1, 2.5, nil, true, float64(3), []byte("b"), errors.New("e")})
	if got != "a12.5niltrue3be" {
		t.Errorf("%q", got)
	}
}

func TestParseQuery(t *testing.T) {
	q := parseQuery(nil, "a=1&b=x+y%21&&c&a=2")
	if len(q) != 4 || q[1].value != "x y!" || !q[2].flag || q[3].value != "2" {
		t.Errorf("%+v", q)
	}
	if s := EncodeQuery(map[string][]string{"b": {"2 3"}, "a": {"1"}}); s != "a=1&b=2+3" {
		t.Error(s)
	}
}

func TestSerialize(t *testing.T) {
	e := newEvent(&pb.PhaseCall{
		Phase: pb.Phase_PHASE_LOG,
		Request: &pb.RequestSnapshot{Method: "GET", Scheme: "http", Host: "h", Port: 8000, Path: "/p", RawQuery: "a=1&f",
			Headers: []*pb.Header{{Name: "X-A", Value: "1"}, {Name: "x-a", Value: "2"}}, ClientIp: "1.2.3.4", StartTimeMs: 99},
		Response: &pb.ResponseSnapshot{Status: 200, Headers: []*pb.Header{{Name: "Content-Type", Value: "text/plain"}}, ServiceStatus: 200, Source: "service"},
		RouteId:  "r", ServiceId: "s",
		Consumer: &pb.Consumer{Id: "c", Username: "u"},
		Log:      &pb.LogInfo{RequestLatencyMs: 7, ProxyLatencyMs: 2, UpstreamLatencyMs: 5, UpstreamUri: "/up?a=1", UpstreamTarget: "10.0.0.1:80"},
	})
	s, err := e.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	req := m["request"].(map[string]interface{})
	if req["url"] != "http://h:8000/p?a=1&f" || req["uri"] != "/p?a=1&f" || req["querystring"].(map[string]interface{})["f"] != true {
		t.Errorf("request %v", req)
	}
	if h := req["headers"].(map[string]interface{})["x-a"].([]interface{}); len(h) != 2 {
		t.Errorf("headers %v", h)
	}
	lat := m["latencies"].(map[string]interface{})
	if lat["request"] != float64(7) || lat["kong"] != float64(2) || lat["proxy"] != float64(5) {
		t.Errorf("latencies %v", lat)
	}
	if m["upstream_uri"] != "/up?a=1" || m["client_ip"] != "1.2.3.4" || m["started_at"] != float64(99) ||
		m["route"].(map[string]interface{})["id"] != "r" || m["consumer"].(map[string]interface{})["username"] != "u" ||
		m["response"].(map[string]interface{})["status"] != float64(200) {
		t.Errorf("%s", s)
	}
}

type countingFetcher struct{ n int }

func (c *countingFetcher) Fetch(_ context.Context, f *pb.Fetch) (*pb.FetchResult, error) {
	c.n++
	return &pb.FetchResult{FetchId: f.FetchId, Result: &pb.FetchResult_RequestBody{RequestBody: []byte("body")}}, nil
}

func TestEvent_lazyBodyFetchedOnce(t *testing.T) {
	f := &countingFetcher{}
	e := &Event{}
	e.Reset(context.Background(), &pb.PhaseCall{}, f)
	for i := 0; i < 3; i++ {
		b, err := e.ReqRawBody()
		if err != nil || string(b) != "body" {
			t.Fatal(b, err)
		}
	}
	if f.n != 1 {
		t.Errorf("%d fetches", f.n)
	}
	e.Reset(context.Background(), &pb.PhaseCall{Request: &pb.RequestSnapshot{Body: []byte("snap"), HasBody: true}}, f)
	if b, _ := e.ReqRawBody(); string(b) != "snap" || f.n != 1 {
		t.Errorf("snapshot body: %q, %d fetches", b, f.n)
	}
}

func TestEvent_cancelledFetch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := &Event{}
	e.Reset(ctx, &pb.PhaseCall{}, &countingFetcher{})
	if _, err := e.ReqRawBody(); !errors.Is(err, ErrCancelled) {
		t.Errorf("%v", err)
	}
}

func TestNilEvent(t *testing.T) {
	var e *Event
	if _, err := e.ReqHeader("x"); !errors.Is(err, ErrNoEvent) {
		t.Error(err)
	}
}
