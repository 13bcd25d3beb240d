// Command drainbench runs Grafana Loki's own Drain (github.com/grafana/loki/v3/pkg/pattern/drain,
// the pattern ingester's miner) on a file of log messages, so that `npm run bench` can compare
// our miner against it on the same lines in the same run. It lives inside the wrapper module
// scripts/loki/ so it is built with exactly the pinned Loki version (go.mod/go.sum of that module).
//
//	drainbench [-repeat R] [-runs K] [-warmup W] [-out FILE|-|""] FILE
//
// FILE holds one message per line. Each run builds a fresh Drain with Loki's default config
// (drain.DefaultConfig(), format guessed from the first line with drain.DetectLogFormat, as the
// pattern ingester does for a new stream; nil metrics, as Loki's own drain benchmark does) and
// trains every line in one online pass, R times over (the same lines repeated). Only Train is
// timed: reading the file and writing the output are not.
//
// After the last run, for every line of FILE (first pass) it writes `LineId<TAB>template` to -out
// (default stdout, "" for none), LineId from 1, template being the final template of the cluster
// the line joined, with Loki's `<_>` placeholder written `<*>`. A line Drain skips (fewer than 4 or
// more than 80 tokens, longer than MaxAllowedLineLength, or throttled by the eviction limiter) joins
// no cluster; it is written as itself (a template without parameters) and counted in "skipped".
//
// A JSON report goes to stderr: lines trained per run, the training time of each timed run (ns),
// their median, cluster counts, and the LineIds Drain skipped in the last run's last pass.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/loki/v3/pkg/pattern/drain"
)

// noLimits is the drain.Limits a tenant without overrides has: no JSON fields to tokenize.
type noLimits struct{}

func (noLimits) PatternIngesterTokenizableJSONFields(string) []string { return nil }

type report struct {
	File            string  `json:"file"`
	Format          string  `json:"format"`
	Lines           int     `json:"lines"`
	Repeat          int     `json:"repeat"`
	LinesPerRun     int     `json:"linesPerRun"`
	RunsNs          []int64 `json:"runsNs"`
	ElapsedNs       int64   `json:"elapsedNs"`
	LinesPerSec     float64 `json:"linesPerSec"`
	Skipped         int     `json:"skipped"`
	SkippedLines    []int   `json:"skippedLines"`
	ClustersCreated int     `json:"clustersCreated"`
	ClustersLive    int     `json:"clustersLive"`
	ClustersEvicted int     `json:"clustersEvicted"`
	MaxClusters     int     `json:"maxClusters"`
	MaxLineLength   int     `json:"maxAllowedLineLength"`
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "drainbench: "+format+"\n", args...)
	os.Exit(1)
}

func readLines(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		fail("cannot read %s: %v", file, err)
	}
	text := string(data)
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		lines[i] = strings.TrimSuffix(line, "\r")
	}
	return lines
}

// train runs one fresh Drain over lines, repeat times, and returns the elapsed training time and,
// for each line of the last pass, the cluster it joined (nil when skipped).
func train(lines []string, repeat int, format string) (time.Duration, []*drain.LogCluster, *drain.Drain) {
	d := drain.New("", drain.DefaultConfig(), noLimits{}, format, nil)
	joined := make([]*drain.LogCluster, len(lines))
	start := time.Now()
	for r := 0; r < repeat; r++ {
		for i, line := range lines {
			joined[i] = d.Train(line, 0)
		}
	}
	return time.Since(start), joined, d
}

func main() {
	repeat := flag.Int("repeat", 1, "train the lines this many times over (one Drain per run)")
	runs := flag.Int("runs", 1, "timed runs, each with a fresh Drain; the median is reported")
	warmup := flag.Int("warmup", 0, "untimed runs before the timed ones")
	out := flag.String("out", "-", `where to write LineId<TAB>template ("-" stdout, "" nowhere)`)
	flag.Parse()
	if flag.NArg() != 1 || *repeat < 1 || *runs < 1 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "usage: drainbench [-repeat R] [-runs K] [-warmup W] [-out FILE|-|\"\"] FILE")
		os.Exit(2)
	}
	file := flag.Arg(0)
	lines := readLines(file)
	format := drain.FormatUnknown
	if len(lines) > 0 {
		format = drain.DetectLogFormat(lines[0])
	}

	for w := 0; w < *warmup; w++ {
		train(lines, *repeat, format)
	}
	var joined []*drain.LogCluster
	var last *drain.Drain
	runsNs := make([]int64, 0, *runs)
	for k := 0; k < *runs; k++ {
		var elapsed time.Duration
		elapsed, joined, last = train(lines, *repeat, format)
		runsNs = append(runsNs, elapsed.Nanoseconds())
	}
	sorted := slices.Clone(runsNs)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		median = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}

	cfg := drain.DefaultConfig()
	rep := report{
		File:          file,
		Format:        format,
		Lines:         len(lines),
		Repeat:        *repeat,
		LinesPerRun:   len(lines) * *repeat,
		RunsNs:        runsNs,
		ElapsedNs:     median,
		MaxClusters:   cfg.MaxClusters,
		MaxLineLength: cfg.MaxAllowedLineLength,
	}
	if median > 0 {
		rep.LinesPerSec = float64(rep.LinesPerRun) / (float64(median) / 1e9)
	}
	seen := make(map[*drain.LogCluster]struct{})
	rep.SkippedLines = []int{}
	for i, c := range joined {
		if c == nil {
			rep.Skipped++
			rep.SkippedLines = append(rep.SkippedLines, i+1)
			continue
		}
		seen[c] = struct{}{}
	}
	rep.ClustersLive = len(last.Clusters())
	// Clusters joined by a line of the last pass plus the live ones; those joined but no longer
	// live were evicted (least recently used, beyond MaxClusters) before the end of the run.
	for _, c := range last.Clusters() {
		seen[c] = struct{}{}
	}
	rep.ClustersCreated = len(seen)
	rep.ClustersEvicted = rep.ClustersCreated - rep.ClustersLive

	if *out != "" {
		w := os.Stdout
		if *out != "-" {
			f, err := os.Create(*out)
			if err != nil {
				fail("cannot write %s: %v", *out, err)
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriterSize(w, 1<<16)
		templates := make(map[*drain.LogCluster]string)
		for i, c := range joined {
			template := lines[i]
			if c != nil {
				t, ok := templates[c]
				if !ok {
					t = strings.ReplaceAll(c.String(), "<_>", "<*>")
					templates[c] = t
				}
				template = t
			}
			bw.WriteString(strconv.Itoa(i + 1))
			bw.WriteByte('\t')
			bw.WriteString(template)
			bw.WriteByte('\n')
		}
		if err := bw.Flush(); err != nil {
			fail("cannot write output: %v", err)
		}
	}
	enc := json.NewEncoder(os.Stderr)
	if err := enc.Encode(rep); err != nil {
		fail("cannot write report: %v", err)
	}
}
