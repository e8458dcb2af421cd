using ResShift.Daemon.Cli;

return await ResShiftCli.RunAsync(args);
