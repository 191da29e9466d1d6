package entities_test

import (
	"encoding/json"
	"testing"

	"github.com/gantry-gateway/gantry/plugin-server-go/entities"
)

func TestEntities_jsonTags(t *testing.T) {
	b, _ := json.Marshal(entities.Consumer{Id: "1", CustomId: "c"})
	if string(b) != `{"id":"1","created_at":0,"username":"","custom_id":"c","tags":null}` {
		t.Error(string(b))
	}
}
