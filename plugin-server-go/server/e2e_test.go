package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Test plugins.

type helloConf struct{ Message string }

func (c *helloConf) Access(kong *pdk.PDK) {
	host, _ := kong.Request.GetHost()
	kong.Response.SetHeader("x-hello-from-go", "Go says "+c.Message+" to "+host)
	kong.ServiceRequest.SetHeader("x-seen", "1")
}

type seeConf struct{}

// Access reports what the previous plugin set (it must see the earlier mutation).
func (seeConf) Access(kong *pdk.PDK) {
	v, _ := kong.Request.GetHeader("x-seen")
	kong.Response.SetHeader("x-saw", v)
}

type fetchConf struct{}

var blocked = make(chan error, 1)

func (fetchConf) Access(kong *pdk.PDK) {
	r, err := kong.Router.GetRoute()
	if err != nil {
		blocked <- err
		return
	}
	kong.Response.SetHeader("x-route", r.Name)
}

type panicConf struct{}

func (panicConf) Access(kong *pdk.PDK) {
	kong.Log.Err("about to fail")
	kong.Response.SetHeader("x-lost", "1")
	panic("boom")
}

type exitConf struct{}

func (exitConf) Access(kong *pdk.PDK) {
	kong.Response.Exit(403, []byte("no"), nil)
	if err := kong.Response.SetHeader("x-after", "1"); err == nil {
		panic("PDK call after Exit succeeded")
	}
}

func startTestServer(t *testing.T) (*Server, pb.PluginServerClient, *grpc.ClientConn) {
	return startBenchServer(t)
}

func startBenchServer(t testing.TB) (*Server, pb.PluginServerClient, *grpc.ClientConn) {
	t.Helper()
	var plugins []*plugin
	for _, r := range []struct {
		name string
		ctor func() interface{}
	}{
		{"hello", func() interface{} { return &helloConf{} }},
		{"see", func() interface{} { return seeConf{} }},
		{"fetch", func() interface{} { return fetchConf{} }},
		{"panic", func() interface{} { return panicConf{} }},
		{"exit", func() interface{} { return exitConf{} }},
	} {
		p, err := newPlugin(r.name, r.ctor, "0.1", 10)
		if err != nil {
			t.Fatal(err)
		}
		plugins = append(plugins, p)
	}
	s := newServer("test", plugins)
	s.logPanics = false
	sock := filepath.Join(t.TempDir(), "p.socket")
	if err := os.WriteFile(sock, nil, 0o600); err != nil { // a stale file must be unlinked
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.listenAndServe("unix", sock, false) }()
	var conn *grpc.ClientConn
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	conn, err := grpc.NewClient("unix:"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		s.stop(time.Second)
		<-served
	})
	return s, pb.NewPluginServerClient(conn), conn
}

func TestServer_endToEnd(t *testing.T) {
	s, cl, conn := startTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Health.
	hr, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "gateway.plugin.v1.PluginServer"})
	if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health: %v %v", hr, err)
	}

	// Handshake.
	if _, err := cl.GetInfo(ctx, &pb.GetInfoRequest{ProtocolVersions: []uint32{7}}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("bad version: %v", err)
	}
	info, err := cl.GetInfo(ctx, &pb.GetInfoRequest{ProtocolVersions: []uint32{1, 2}})
	if err != nil || info.ProtocolVersion != 1 || len(info.Plugins) != 5 {
		t.Fatalf("GetInfo: %v %v", info, err)
	}
	if p := info.Plugins[0]; p.Name != "hello" || p.Priority != 10 || len(p.Phases) != 1 || p.Phases[0] != pb.Phase_PHASE_ACCESS ||
		p.SchemaJson != `{"name":"hello","fields":[{"config":{"fields":[{"message":{"type":"string"}}],"type":"record"}}]}` {
		t.Fatalf("plugin info: %v", p)
	}

	// Instances.
	cr, err := cl.Configure(ctx, &pb.ConfigureRequest{Instances: []*pb.InstanceConfig{
		{InstanceId: 1, PluginName: "hello", ConfigJson: `{"MESSAGE":"hi","route_id":"x"}`},
		{InstanceId: 2, PluginName: "see", ConfigJson: `{}`},
		{InstanceId: 3, PluginName: "fetch"},
		{InstanceId: 4, PluginName: "panic"},
		{InstanceId: 5, PluginName: "exit"},
		{InstanceId: 6, PluginName: "hello", ConfigJson: `{"message":42}`},
		{InstanceId: 7, PluginName: "nope"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range cr.Results {
		wantOK := i < 5
		if r.Ok != wantOK || r.InstanceId != uint64(i+1) {
			t.Errorf("instance %d: %v", i+1, r)
		}
	}
	if e := cr.Results[5].Error; e != "config.message: expected a string, got number" {
		t.Errorf("decode error: %q", e)
	}

	es, err := cl.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replies := make(chan *pb.Reply, 1000)
	batches := 0
	var recvWG sync.WaitGroup
	recvWG.Add(1)
	go func() {
		defer recvWG.Done()
		for {
			b, err := es.Recv()
			if err != nil {
				if err != io.EOF {
					t.Errorf("recv: %v", err)
				}
				close(replies)
				return
			}
			batches++
			for _, r := range b.Replies {
				replies <- r
			}
		}
	}()

	// 100 concurrent phase calls in one batch: hello then see.
	var batch pb.EventBatch
	for i := 0; i < 100; i++ {
		batch.Events = append(batch.Events, &pb.Event{RequestId: uint64(1000 + i), Seq: 1, Kind: &pb.Event_PhaseCall{PhaseCall: &pb.PhaseCall{
			Phase: pb.Phase_PHASE_ACCESS, InstanceIds: []uint64{1, 2},
			Request: &pb.RequestSnapshot{Method: "GET", Host: fmt.Sprintf("h%d.test", i), Path: "/"},
		}}})
	}
	if err := es.Send(&batch); err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for len(seen) < 100 {
		r := <-replies
		res := r.GetResult()
		if res == nil || res.Completed != 2 || res.Error != nil || len(res.Mutations) != 3 {
			t.Fatalf("reply %v", r)
		}
		want := fmt.Sprintf("Go says hi to h%d.test", r.RequestId-1000)
		if m := res.Mutations[0]; m.InstanceId != 1 || m.GetResponseHeader().Value != want {
			t.Fatalf("mutation 0: %v", m)
		}
		if m := res.Mutations[2]; m.InstanceId != 2 || m.GetResponseHeader().Name != "x-saw" || m.GetResponseHeader().Value != "1" {
			t.Fatalf("mutation 2 (see): %v", m)
		}
		seen[r.RequestId] = true
	}
	t.Logf("100 replies in %d batches", batches)

	send := func(e *pb.Event) {
		if err := es.Send(&pb.EventBatch{Events: []*pb.Event{e}}); err != nil {
			t.Fatal(err)
		}
	}
	access := func(rid uint64, ids ...uint64) *pb.Event {
		return &pb.Event{RequestId: rid, Seq: 1, Kind: &pb.Event_PhaseCall{PhaseCall: &pb.PhaseCall{
			Phase: pb.Phase_PHASE_ACCESS, InstanceIds: ids, Request: &pb.RequestSnapshot{Method: "GET"}}}}
	}

	// Fetch round trip.
	send(access(1, 3))
	r := <-replies
	f := r.GetFetch()
	if f == nil || f.GetRoute() == nil || r.RequestId != 1 || r.Seq != 1 {
		t.Fatalf("want a route fetch, got %v", r)
	}
	send(&pb.Event{RequestId: 1, Seq: 1, Kind: &pb.Event_FetchResult{FetchResult: &pb.FetchResult{
		FetchId: f.FetchId, Result: &pb.FetchResult_Route{Route: &pb.Route{Name: "r66"}}}}})
	r = <-replies
	if res := r.GetResult(); res == nil || res.Completed != 1 || res.Mutations[0].GetResponseHeader().Value != "r66" {
		t.Fatalf("fetch result: %v", r)
	}

	// Cancel while blocked in a fetch: the fetch returns an error.
	send(access(2, 3))
	if r := <-replies; r.GetFetch() == nil {
		t.Fatalf("want fetch, got %v", r)
	}
	send(&pb.Event{RequestId: 2, Seq: 1, Kind: &pb.Event_Cancel{Cancel: &pb.Cancel{}}})
	select {
	case err := <-blocked:
		if !strings.Contains(err.Error(), "cancelled") {
			t.Errorf("cancel error: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cancel did not unblock the fetch")
	}
	<-replies // the (ignored) result of the cancelled call

	// Unknown instance, panic, exit.
	send(access(3, 1, 99, 2))
	r = <-replies
	if res := r.GetResult(); res.Completed != 1 || res.Error.GetKind() != pb.PluginError_KIND_UNKNOWN_INSTANCE || res.Error.InstanceId != 99 {
		t.Fatalf("unknown instance: %v", r)
	}
	send(access(4, 1, 4, 2))
	r = <-replies
	res := r.GetResult()
	if res.Completed != 1 || res.Error.GetKind() != pb.PluginError_KIND_HANDLER || !strings.Contains(res.Error.Message, "boom") {
		t.Fatalf("panic: %v", r)
	}
	// hello's 2 mutations, then panic's log line only (its header is dropped).
	if len(res.Mutations) != 3 || res.Mutations[2].GetLog().GetMessage() != "about to fail" {
		t.Fatalf("panic mutations: %v", res.Mutations)
	}
	send(access(5, 5, 1))
	r = <-replies
	res = r.GetResult()
	if res.Completed != 1 || res.Error != nil || len(res.Mutations) != 1 || res.Mutations[0].GetExit().GetStatus() != 403 {
		t.Fatalf("exit: %v", r)
	}

	// Clean close while a handler waits for a fetch: the fetch fails, the call is answered, then
	// the server finishes the stream with OK.
	send(access(6, 3))
	if r := <-replies; r.GetFetch() == nil {
		t.Fatalf("want fetch, got %v", r)
	}
	if err := es.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; !strings.Contains(err.Error(), "closed the event stream") {
		t.Errorf("fetch after half-close: %v", err)
	}
	if r := <-replies; r.GetResult() == nil || r.RequestId != 6 {
		t.Errorf("pending call not answered: %v", r)
	}
	recvWG.Wait()

	// Shutdown.
	exited := make(chan struct{})
	s.exitHook = func() { close(exited) }
	if _, err := cl.Shutdown(ctx, &pb.ShutdownRequest{GracePeriodMs: 1000}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("no exit after Shutdown")
	}
}
