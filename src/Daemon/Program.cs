using ResShift.Daemon.Cli;
using ResShift.Engines.Memory;

NativeHeapTuning.Apply();
return await ResShiftCli.RunAsync(args);
