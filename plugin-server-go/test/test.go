/*
Package test runs a plugin's phase handlers against an in-process fake gateway, with go-pdk's
test API, so plugin authors' go-pdk tests port by changing the import path:

	env, err := test.New(t, test.Request{
		Method:  "GET",
		Url:     "http://example.com?q=search&x=9",
		Headers: map[string][]string{"X-Hi": {"hello"}},
	})
	assert.NoError(t, err)
	env.DoHttps(&Config{})
	assert.Equal(t, 200, env.ClientRes.Status)
	assert.Equal(t, "Go says Hi!", env.ClientRes.Headers.Get("x-hello-from-go"))

Each DoXxx builds the phase snapshot from the environment, runs the handler through the same
PDK code the plugin server uses (snapshot getters, batched mutations, exit, lazy fetches answered
by the fake gateway), then applies the mutations to ServiceReq / ClientRes / Ctx. DoHttp assumes
an "echo" service: the service response is the service request.
*/
package test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	"github.com/gantry-gateway/gantry/plugin-server-go/client"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/rt"
)

// Request is the request received from the client or sent to the service.
type Request struct {
	Method  string
	Url     string
	Headers http.Header
	Body    []byte
}

func (req Request) clone() Request {
	return Request{Method: req.Method, Url: req.Url, Headers: req.Headers.Clone(), Body: append([]byte(nil), req.Body...)}
}

func mergeHeaders(h http.Header, in http.Header) http.Header {
	for k, l := range in {
		h.Del(k)
		for _, v := range l {
			h.Add(k, v)
		}
	}
	return h
}

// Validate checks a request and normalizes its header names. GET must not have a body;
// POST, PUT and PATCH may.
func (req *Request) Validate() error {
	if _, err := url.Parse(req.Url); err != nil {
		return err
	}
	req.Headers = mergeHeaders(make(http.Header), req.Headers)
	switch req.Method {
	case "GET":
		if len(req.Body) != 0 {
			return fmt.Errorf("GET requests must not have body, found %q", req.Body)
		}
		return nil
	case "POST", "PUT", "PATCH":
		return nil
	}
	return fmt.Errorf("Unsupported method \"%v\"", req.Method)
}

// ToResponse makes the response of an "echo" service.
func (req Request) ToResponse() Response {
	return Response{Status: 200, Message: "OK", Headers: req.Headers.Clone(), Body: append([]byte(nil), req.Body...)}
}

// Response is the response from the service or to the client.
type Response struct {
	Status  int
	Message string
	Headers http.Header
	Body    []byte
}

func (res *Response) merge(other Response) {
	if other.Status != 0 {
		res.Status = other.Status
	}
	if other.Message != "" {
		res.Message = other.Message
	}
	if other.Headers != nil {
		if res.Headers != nil {
			mergeHeaders(res.Headers, other.Headers)
		} else {
			res.Headers = other.Headers.Clone()
		}
	}
	if other.Body != nil {
		res.Body = other.Body
	}
}

// Ctx is kong.ctx.shared of the simulated request (values as JSON decodes them).
type Ctx map[string]interface{}

// Credential is a credential the fake gateway knows, for Client.FindCredential (Gantry).
type Credential struct {
	Kind, Field, Value string
	Id                 string
	Consumer           entities.Consumer
}

type envState int

const (
	running envState = iota
	finished
	failed
)

// TestEnv is a simulated request going through the plugin.
type TestEnv struct {
	t          *testing.T
	state      envState
	ClientReq  Request
	ServiceReq Request
	ServiceRes Response
	ClientRes  Response
	Ctx        Ctx

	// Gantry extensions: what the fake gateway knows and did.
	Consumers   []entities.Consumer
	Credentials []Credential
	// Consumer and Credential authenticated by the plugin (Client.Authenticate).
	Consumer   *entities.Consumer
	Credential *client.AuthenticatedCredential
	// Logs holds the plugin's log lines, "<level>: <message>".
	Logs []string
	// Target / Upstream set by Service.SetTarget / SetUpstream.
	Target   string
	Upstream string
	// RouteId / ServiceId put in the snapshot.
	RouteId, ServiceId string
}

// New creates a test environment for req.
func New(t *testing.T, req Request) (*TestEnv, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return &TestEnv{
		t:          t,
		state:      running,
		ClientReq:  req,
		ServiceReq: req.clone(),
		ServiceRes: Response{Headers: make(http.Header)},
		ClientRes:  Response{Headers: make(http.Header)},
		Ctx:        Ctx{},
		RouteId:    "001:002",
		ServiceId:  "003:004",
	}, nil
}

// Errorf reports a test error.
func (e *TestEnv) Errorf(format string, args ...interface{}) { e.t.Errorf(format, args...) }

// IsRunning is false once the plugin exited (or a handler panicked).
func (e *TestEnv) IsRunning() bool { return e.state == running }

func getPort(u *url.URL) uint32 {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return uint32(n)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

func toHeaders(h http.Header) []*pb.Header {
	var hs []*pb.Header
	for _, k := range sortedKeys(h) {
		for _, v := range h[k] {
			hs = append(hs, &pb.Header{Name: k, Value: v})
		}
	}
	return hs
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// snapshot builds the PhaseCall the gateway would send now.
func (e *TestEnv) snapshot(phase pb.Phase) *pb.PhaseCall {
	cu, err := url.Parse(e.ClientReq.Url)
	if err != nil {
		e.t.Error(err)
		cu = &url.URL{}
	}
	su, err := url.Parse(e.ServiceReq.Url)
	if err != nil {
		su = cu
	}
	path := cu.EscapedPath()
	if path == "" {
		path = "/"
	}
	r := &pb.RequestSnapshot{
		Method: e.ServiceReq.Method, Scheme: cu.Scheme, Host: strings.ToLower(cu.Hostname()),
		Port: getPort(cu), Path: path, RawQuery: su.RawQuery, Headers: toHeaders(e.ServiceReq.Headers),
		ClientIp: "10.10.10.1", ClientPort: 443, HttpVersion: "1.1", StartTimeMs: 1700000000000,
		RequestId: "test-request-id", ForwardedScheme: cu.Scheme, ForwardedHost: cu.Hostname(),
	}
	if p := e.ClientReq.Headers.Get("X-Forwarded-Proto"); p != "" {
		r.ForwardedScheme = p
	}
	if h := e.ClientReq.Headers.Get("X-Forwarded-Host"); h != "" {
		r.ForwardedHost = h
	}
	pc := &pb.PhaseCall{Phase: phase, Request: r, RouteId: e.RouteId, ServiceId: e.ServiceId, Shared: map[string]string{}}
	for k, v := range e.Ctx {
		b, err := json.Marshal(v)
		if err == nil {
			pc.Shared[k] = string(b)
		}
	}
	if e.Consumer != nil {
		c := e.Consumer
		pc.Consumer = &pb.Consumer{Id: c.Id, Username: c.Username, CustomId: c.CustomId, Tags: c.Tags}
	}
	if e.Credential != nil {
		pc.Credential = &pb.Credential{Id: e.Credential.Id, ConsumerId: e.Credential.ConsumerId}
	}
	if phase == pb.Phase_PHASE_RESPONSE || phase == pb.Phase_PHASE_HEADER_FILTER || phase == pb.Phase_PHASE_LOG {
		pc.Response = &pb.ResponseSnapshot{
			Status: int32(e.ClientRes.Status), Headers: toHeaders(e.ClientRes.Headers),
			ServiceStatus: int32(e.ServiceRes.Status), ServiceHeaders: toHeaders(e.ServiceRes.Headers),
			Source: "service",
		}
		if phase == pb.Phase_PHASE_RESPONSE {
			pc.Response.Body, pc.Response.HasBody = e.ServiceRes.Body, true
		}
	}
	if phase == pb.Phase_PHASE_LOG {
		pc.Log = &pb.LogInfo{RequestLatencyMs: 3, ProxyLatencyMs: 1, UpstreamLatencyMs: 2,
			UpstreamTarget: su.Host, UpstreamUri: su.RequestURI(), BytesSent: uint64(len(e.ClientRes.Body)),
			BytesReceived: uint64(len(e.ClientReq.Body)), FinishedAtMs: 1700000000003}
	}
	return pc
}

// run runs one handler over a fresh event and applies its mutations.
func (e *TestEnv) run(phase pb.Phase, name string, h func(*pdk.PDK)) {
	e.t.Log(name)
	var ev rt.Event
	ev.Reset(context.Background(), e.snapshot(phase), fakeCore{e})
	var kong pdk.PDK
	pdk.FillForEvent(&kong, &ev)
	ev.BeginInstance(1)
	func() {
		defer func() {
			if r := recover(); r != nil {
				e.t.Errorf("%s handler panicked: %v", name, r)
				e.state = failed
			}
		}()
		h(&kong)
	}()
	e.apply(ev.Mutations())
}
