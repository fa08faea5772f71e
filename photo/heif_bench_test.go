package photo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gen2brain/heic"
)

var (
	bench12MPHEIC     []byte
	bench12MPHEICErr  error
	bench12MPHEICOnce sync.Once
)

// readBenchHEIC returns the 12 MP phone photo as a HEIC made by libheif's heif-enc (quality
// 50, as phones save; `scripts/deps.sh bench` installs it), made once and kept in the
// temporary folder: encoding takes about 20 s.
func readBenchHEIC(b *testing.B) []byte {
	bench12MPHEICOnce.Do(func() {
		out := filepath.Join(os.TempDir(), "hearth-bench-phone-12mp.heic")
		if data, err := os.ReadFile(out); err == nil {
			if _, err := Check(data); err == nil {
				bench12MPHEIC = data
				return
			}
		}
		src, err := filepath.Abs(phone12MP)
		if err != nil {
			bench12MPHEICErr = err
			return
		}
		if msg, err := exec.Command("heif-enc", "-q", "50", "-o", out, src).CombinedOutput(); err != nil {
			bench12MPHEICErr = err
			b.Logf("heif-enc: %s", msg)
			return
		}
		bench12MPHEIC, bench12MPHEICErr = os.ReadFile(out)
	})
	if bench12MPHEICErr != nil {
		b.Fatalf("make the 12 MP HEIC with heif-enc (scripts/deps.sh bench installs it): %v", bench12MPHEICErr)
	}
	return bench12MPHEIC
}

// BenchmarkVariants12MPHEIC is BenchmarkVariants12MP for the same photo as a HEIC: the
// server's whole job, with libheif in WebAssembly as the decoder. peak-MB is the most heap held
// above the start during one run (sampled), against est-MB, its DecodeCost.
func BenchmarkVariants12MPHEIC(b *testing.B) {
	data := readBenchHEIC(b)
	heic.Init()
	p := NewProcessor(2)
	info, err := Check(data)
	if err != nil {
		b.Fatal(err)
	}
	peak := heapPeakDuring(b, func() {
		if _, err := p.MakeVariants(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	})
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.MakeVariants(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
	b.ReportMetric(float64(DecodeCost(data, info))/(1<<20), "est-MB")
}

// BenchmarkDecode12MPHEIC is the HEIC decoder alone (a new WebAssembly instance each time, as
// every decode has), the floor under the HEIC pipeline; BenchmarkDecode12MP is image/jpeg's.
func BenchmarkDecode12MPHEIC(b *testing.B) {
	data := readBenchHEIC(b)
	heic.Init()
	b.ResetTimer()
	for b.Loop() {
		if _, err := heic.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrepare12MPHEIC(b *testing.B) {
	data := readBenchHEIC(b)
	heic.Init()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Prepare(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}
