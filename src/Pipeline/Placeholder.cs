namespace ResShift.Pipeline; internal static class Placeholder {}
