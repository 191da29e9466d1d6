package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gantry-gateway/gantry/plugin-server-go"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
	"google.golang.org/grpc"
)

type quirky struct {
	Name     string
	Tagged   int                   `json:"x,omitempty"`
	Big      int64                 // omitted: no mapping
	Small    int8                  // omitted
	U        uint32                // integer with between
	F        float32               //
	List     []string              //
	Anys     []interface{}         // omitted (element unmappable)
	M        map[string]int        //
	Ptr      *bool                 //
	Sub      struct{ Deep string } `json:"sub"`
	private  string
	Whatever interface{} // omitted
}

func (quirky) Access(*pdk.PDK)      {}
func (*quirky) Log(*pdk.PDK)        {}
func (quirky) Certificate(*pdk.PDK) {}

func TestSchema_goPdkQuirks(t *testing.T) {
	p, err := newPlugin("q", func() interface{} { return &quirky{} }, "1.0", 5)
	if err != nil {
		t.Fatal(err)
	}
	got := string(mustJSON(p.schema))
	want := `{"name":"q","fields":[{"config":{"fields":[` +
		`{"name":{"type":"string"}},` +
		`{"x,omitempty":{"type":"integer"}},` +
		`{"u":{"between":[0,2147483648],"type":"integer"}},` +
		`{"f":{"type":"number"}},` +
		`{"list":{"elements":{"type":"string"},"type":"array"}},` +
		`{"m":{"keys":{"type":"string"},"type":"map","values":{"type":"integer"}}},` +
		`{"ptr":{"type":"boolean"}},` +
		`{"sub":{"fields":[{"deep":{"type":"string"}}],"type":"record"}}` +
		`],"type":"record"}}]}`
	if got != want {
		t.Errorf("schema\n got %s\nwant %s", got, want)
	}
	// Phases: pointer and value receivers both count; certificate is listed but not sent.
	if strings.Join(p.kongPhases, ",") != "certificate,access,log" {
		t.Errorf("kong phases %v", p.kongPhases)
	}
	if len(p.phases) != 2 || p.phases[0] != pb.Phase_PHASE_ACCESS || p.phases[1] != pb.Phase_PHASE_LOG {
		t.Errorf("phases %v", p.phases)
	}
}

func TestDump_format(t *testing.T) {
	p, _ := newPlugin("go-hello", func() interface{} { return &helloConf{} }, "0.1", 1)
	out, err := dumpInfo([]*plugin{p}, "/usr/local/kong/go-hello.socket")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Protocol":"Gantry:1","SocketPath":"/usr/local/kong/go-hello.socket","Plugins":[{"Name":"go-hello",` +
		`"Phases":["access"],"Version":"0.1","Priority":1,"Schema":{"name":"go-hello","fields":[{"config":` +
		`{"fields":[{"message":{"type":"string"}}],"type":"record"}}]}}]}`
	if string(out) != want {
		t.Errorf("dump\n got %s\nwant %s", out, want)
	}
}

func TestNewPlugin_badConstructor(t *testing.T) {
	if _, err := newPlugin("x", nil, "1", 1); err == nil {
		t.Error("nil constructor accepted")
	}
	if _, err := newPlugin("x", func() interface{} { return nil }, "1", 1); err == nil {
		t.Error("nil config accepted")
	}
}

type limits struct {
	Max int `json:"max_count"`
}
type nested struct {
	Name   string
	Limits limits
}

type initConf struct {
	Value string
	ready bool
}

func (c *initConf) Init() error {
	if c.Value == "bad" {
		return errors.New("value must not be bad")
	}
	c.ready = true
	return nil
}
func (c *initConf) Access(kong *pdk.PDK) {}

type valueConf struct{ N int }

func (valueConf) Access(*pdk.PDK) {}

func configure(t *testing.T, plugins map[string]*plugin, tab *instanceTable, ics ...*pb.InstanceConfig) []*pb.InstanceResult {
	t.Helper()
	return tab.configure(plugins, &pb.ConfigureRequest{Instances: ics}).Results
}

func TestConfigure_decodeAndInit(t *testing.T) {
	plugins := map[string]*plugin{}
	for name, ctor := range map[string]func() interface{}{
		"nested": func() interface{} { return &nested{} },
		"init":   func() interface{} { return &initConf{} },
		"value":  func() interface{} { return valueConf{} },
	} {
		p, err := newPlugin(name, ctor, "1", 1)
		if err != nil {
			t.Fatal(err)
		}
		plugins[name] = p
	}
	var tab instanceTable
	res := configure(t, plugins, &tab,
		&pb.InstanceConfig{InstanceId: 1, PluginName: "nested", ConfigJson: `{"name":"a","limits":{"max_count":"many"}}`},
		&pb.InstanceConfig{InstanceId: 2, PluginName: "nested", ConfigJson: `{"name":`},
		&pb.InstanceConfig{InstanceId: 3, PluginName: "init", ConfigJson: `{"value":"bad"}`},
		&pb.InstanceConfig{InstanceId: 4, PluginName: "init", ConfigJson: `{"value":"good"}`},
		&pb.InstanceConfig{InstanceId: 5, PluginName: "value", ConfigJson: `{"n":7}`},
		&pb.InstanceConfig{InstanceId: 6, PluginName: "nested", ConfigJson: `{"NAME":"b","__key__":"x"}`},
	)
	wantErr := []string{
		"config.limits.max_count: expected an integer, got string",
		"config: invalid JSON",
		"config: value must not be bad",
		"", "", "",
	}
	for i, r := range res {
		if (wantErr[i] == "") != r.Ok || !strings.HasPrefix(r.Error, wantErr[i]) {
			t.Errorf("instance %d: ok=%v err=%q, want %q", r.InstanceId, r.Ok, r.Error, wantErr[i])
		}
	}
	if c := tab.get(4).config.(*initConf); !c.ready {
		t.Error("Init not called")
	}
	if c := tab.get(5).config.(valueConf); c.N != 7 {
		t.Errorf("value config %+v", c)
	}
	if c := tab.get(6).config.(*nested); c.Name != "b" {
		t.Errorf("case-insensitive decode: %+v", c)
	}
	// Idempotent for the same id and config: the same instance stays.
	before := tab.get(4)
	configure(t, plugins, &tab, &pb.InstanceConfig{InstanceId: 4, PluginName: "init", ConfigJson: `{"value":"good"}`})
	if tab.get(4) != before {
		t.Error("re-Configure with the same config replaced the instance")
	}
	tab.configure(plugins, &pb.ConfigureRequest{CloseInstanceIds: []uint64{4}})
	if tab.get(4) != nil || tab.get(5) == nil {
		t.Error("close")
	}
}

// fakeStream records Sends; the first Send blocks until release is closed.
type fakeStream struct {
	grpc.ServerStream
	ctx     context.Context
	release chan struct{}
	sent    chan int
}

func (f *fakeStream) Context() context.Context { return f.ctx }
func (f *fakeStream) Recv() (*pb.EventBatch, error) {
	<-f.ctx.Done()
	return nil, f.ctx.Err()
}
func (f *fakeStream) Send(b *pb.ReplyBatch) error {
	<-f.release
	f.sent <- len(b.Replies)
	return nil
}

// TestSend_coalescesBacklog: the first push sends at once (and blocks in Send); the 300 pushed
// meanwhile only queue, and the sender packs them into messages of at most maxBatch.
func TestSend_coalescesBacklog(t *testing.T) {
	fs := &fakeStream{ctx: context.Background(), release: make(chan struct{}), sent: make(chan int, 100)}
	st := newStream(nil, fs, fs.ctx)

	first := make(chan struct{})
	go func() { st.push(&pb.Reply{RequestId: 1}, nil); close(first) }()
	time.Sleep(20 * time.Millisecond) // the first pusher is now blocked in its Send
	for i := 0; i < 300; i++ {
		st.push(&pb.Reply{RequestId: uint64(i + 2)}, nil) // returns at once: a Send is in progress
	}
	close(fs.release)
	<-first // the sender returns once the outbox is empty
	if err := st.finish(); err != nil {
		t.Fatal(err)
	}
	close(fs.sent)
	var sizes []int
	for n := range fs.sent {
		sizes = append(sizes, n)
	}
	// 1, then the backlog of 300 packed into messages of at most maxBatch.
	if len(sizes) != 4 || sizes[0] != 1 || sizes[1] != maxBatch || sizes[2] != maxBatch || sizes[3] != 300-2*maxBatch {
		t.Errorf("batch sizes %v", sizes)
	}
}

func TestGetInfo_bodyPhases(t *testing.T) {
	p, err := newPlugin("b", func() interface{} { return &bodyConf{} }, "1", 1)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer("s", []*plugin{p})
	info, err := s.GetInfo(context.Background(), &pb.GetInfoRequest{ProtocolVersions: []uint32{1}})
	if err != nil {
		t.Fatal(err)
	}
	if bp := info.Plugins[0].BodyPhases; len(bp) != 1 || bp[0] != pb.Phase_PHASE_ACCESS {
		t.Errorf("body phases %v", bp)
	}
	var schema map[string]interface{}
	if err := json.Unmarshal([]byte(info.Plugins[0].SchemaJson), &schema); err != nil || schema["name"] != "b" {
		t.Errorf("schema %s", info.Plugins[0].SchemaJson)
	}
}

type bodyConf struct{}

func (*bodyConf) Access(*pdk.PDK)             {}
func (*bodyConf) RequestBodyPhases() []string { return []string{"access"} }

// A replacement server bound to the same unix path (a sidecar's rolling restart) keeps its
// socket when the old one exits; a server removes only its own socket file.
func TestListen_replacementKeepsItsSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "p.socket")
	start := func() (*Server, chan error) {
		p, err := newPlugin("hello", func() interface{} { return &helloConf{} }, "0.1", 10)
		if err != nil {
			t.Fatal(err)
		}
		s := newServer("test", []*plugin{p})
		served := make(chan error, 1)
		go func() { served <- s.listenAndServe("unix", sock, false) }()
		return s, served
	}
	waitDial := func() error {
		deadline := time.Now().Add(5 * time.Second)
		for {
			c, err := net.Dial("unix", sock)
			if err == nil {
				c.Close()
				return nil
			}
			if time.Now().After(deadline) {
				return err
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	oldSrv, oldServed := start()
	if err := waitDial(); err != nil {
		t.Fatal(err)
	}
	oldInfo, _ := os.Stat(sock)
	newSrv, newServed := start()
	deadline := time.Now().Add(5 * time.Second)
	for { // until the new server has replaced the file
		if cur, err := os.Stat(sock); err == nil && !os.SameFile(cur, oldInfo) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second server never bound the path")
		}
		time.Sleep(5 * time.Millisecond)
	}
	oldSrv.stop(time.Second)
	<-oldServed
	if err := waitDial(); err != nil {
		t.Fatalf("the replacement's socket is gone after the old server stopped: %v", err)
	}
	newSrv.stop(time.Second)
	<-newServed
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Fatalf("the last server left its socket file behind (%v)", err)
	}
}
