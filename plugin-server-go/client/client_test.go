package client_test

import (
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/client"
	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
	"github.com/gantry-gateway/gantry/plugin-server-go/internal/pdktest"
	pb "github.com/gantry-gateway/gantry/plugin-server-go/internal/pluginpb"
)

func TestClient(t *testing.T) {
	k, ev := pdktest.New(pdktest.Request(), pdktest.FetchFunc(func(f *pb.Fetch) *pb.FetchResult {
		switch w := f.What.(type) {
		case *pb.Fetch_Credential:
			if w.Credential.Value == "k1" {
				return &pb.FetchResult{Result: &pb.FetchResult_Credential{Credential: &pb.CredentialMatch{
					Credential: &pb.Credential{Id: "cr", ConsumerId: "c1"}, Consumer: &pb.Consumer{Id: "c1", Username: "bob"},
					FieldsJson: `{"key":"k1"}`}}}
			}
		case *pb.Fetch_Consumer:
			return &pb.FetchResult{Result: &pb.FetchResult_Consumer{Consumer: &pb.Consumer{Id: "c2"}}}
		}
		return &pb.FetchResult{Result: &pb.FetchResult_NotFound{NotFound: "x"}}
	}))
	c := k.Client
	if ip, _ := c.GetIp(); ip != "10.0.0.7" {
		t.Error(ip)
	}
	if p, _ := c.GetPort(); p != 5555 {
		t.Error(p)
	}
	if cons, err := c.GetConsumer(); cons.Id != "" || err != nil {
		t.Error(cons, err)
	}
	m, err := c.FindCredential("keyauth_credentials", "key", "k1")
	if err != nil || m == nil || m.Consumer.Username != "bob" || m.Credential.Id != "cr" || m.Fields["key"] != "k1" {
		t.Fatalf("%+v %v", m, err)
	}
	if m, err := c.FindCredential("keyauth_credentials", "key", "zz"); m != nil || err != nil {
		t.Errorf("not found: %v %v", m, err)
	}
	if cons, _ := c.LoadConsumer("c2", false); cons.Id != "c2" {
		t.Error(cons)
	}
	if err := c.Authenticate(nil, nil); err == nil {
		t.Error("authenticate(nil, nil)")
	}
	if err := c.Authenticate(&entities.Consumer{Id: "c1"}, &client.AuthenticatedCredential{Id: "cr", ConsumerId: "c1"}); err != nil {
		t.Fatal(err)
	}
	if cons, _ := c.GetConsumer(); cons.Id != "c1" {
		t.Error("consumer not visible after Authenticate")
	}
	if cr, _ := c.GetCredential(); cr.Id != "cr" {
		t.Error(cr)
	}
	if a := ev.Mutations()[0].GetAuthenticate(); a.Consumer.Id != "c1" {
		t.Error(a)
	}
}
