package bridge_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/bridge"
	"github.com/gantry-gateway/gantry/plugin-server-go/bridge/bridgetest"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestAsk_overEventIsLocal(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), nil)
	b := k.Request.PdkBridge
	if s, err := b.AskString("kong.request.get_header", bridge.WrapString("apikey")); s != "k1" || err != nil {
		t.Error(s, err)
	}
	if n, err := b.AskInt("kong.request.get_port", nil); n != 8000 || err != nil {
		t.Error(n, err)
	}
	if err := b.Ask("kong.response.set_status", wrapperspb.Int32(204), nil); err != nil {
		t.Error(err)
	}
	if len(ev.Mutations()) != 1 || ev.Mutations()[0].GetResponseStatus() != 204 {
		t.Error(ev.Mutations())
	}
	out := &wrapperspb.StringValue{}
	if err := b.Ask("kong.request.get_method", nil, out); err != nil || out.Value != "GET" {
		t.Error(out, err)
	}
	if _, err := b.AskValue("kong.vault.get", nil); err == nil {
		t.Error("unknown method accepted")
	}
}

func TestAsk_overConnSpeaksGoPdkFrames(t *testing.T) {
	conn := bridgetest.Mock(t, []bridgetest.MockStep{
		{Method: "kong.request.get_header", Args: bridge.WrapString("host"), Ret: bridge.WrapString("example.com")},
	})
	b := bridge.New(conn)
	defer b.Close()
	out := &wrapperspb.StringValue{}
	if err := b.Ask("kong.request.get_header", bridge.WrapString("host"), out); err != nil || out.Value != "example.com" {
		t.Error(out, err)
	}
}

func TestWrapUnwrapHeaders(t *testing.T) {
	st, err := bridge.WrapHeaders(map[string][]string{"a": {"1", "2"}})
	if err != nil {
		t.Fatal(err)
	}
	st.Fields["flag"] = structpb.NewBoolValue(true)
	st.Fields["s"] = structpb.NewStringValue("x")
	h := bridge.UnwrapHeaders(st)
	if len(h["a"]) != 2 || h["s"][0] != "x" || h["flag"] != nil {
		t.Error(h)
	}
}
