package datadir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SettingsFile remembers how devices reach the server, for invitations made from the command line.
const SettingsFile = "settings.json"

// Settings are the data directory's serving settings.
type Settings struct {
	// PublicHost is HOST:PORT as devices reach the server.
	PublicHost string `json:"public_host"`
	// Insecure: the server was last started with --insecure-http (loopback only).
	Insecure bool `json:"insecure,omitempty"`
	// CertFile and KeyFile: a CA-signed pair the server was last started with.
	CertFile string `json:"cert_file,omitempty"`
	KeyFile  string `json:"key_file,omitempty"`
	// Blobs is the --blobs setting (s3://BUCKET/PREFIX?…, never credentials) the photos are kept
	// with; empty: DIR/blobs.
	Blobs string `json:"blobs,omitempty"`
	// Database is the --database setting (postgres://…, never a password) the records are kept
	// in; empty: DIR/facility.db.
	Database string `json:"database,omitempty"`
	// Home is the id of the home this folder serves (its facility id), recorded at init or the
	// first start: a database or a bucket prefix that holds another home is refused.
	Home string `json:"home,omitempty"`
}

// ReadSettings reads dir's settings; a missing file gives the zero Settings.
func ReadSettings(dir string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(filepath.Join(dir, SettingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read settings %s: %w", filepath.Join(dir, SettingsFile), err)
	}
	return s, nil
}

// WriteSettings writes dir's settings.
func WriteSettings(dir string, s Settings) error {
	b, _ := json.MarshalIndent(s, "", "  ")
	return writeFile(filepath.Join(dir, SettingsFile), append(b, '\n'), 0o600)
}
