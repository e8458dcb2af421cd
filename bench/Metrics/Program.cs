using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(ResShift.Metrics.Bench.TilePathBenchmarks).Assembly).Run(args);
