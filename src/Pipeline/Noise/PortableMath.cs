using System.Runtime.CompilerServices;

namespace ResShift.Pipeline.Noise;

/// <summary>
/// ln, sin and cos for Box-Muller built only from IEEE-754 +, -, *, / and sqrt in float64, so that the
/// same sequence of operations gives the same bits on any CPU and on a GPU kernel compiled without FMA
/// contraction. libm's log/sin/cos differ between platforms in the last bit; these do not.
/// Accuracy is ~1e-16 relative, far below the float32 the noise is stored in.
/// </summary>
public static class PortableMath
{
    private const double Ln2 = 0.69314718055994530942;
    private const double HalfPi = 1.57079632679489661923;
    private const double Sqrt2 = 1.41421356237309504880;

    /// <summary>Natural log of a positive, finite, normal double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L); // [1, 2)
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }
        // ln(m) = 2 atanh(f), f = (m-1)/(m+1), |f| <= 0.1716: the odd series converges to 1e-17 by f^21.
        double f = (m - 1.0) / (m + 1.0);
        double f2 = f * f;
        double s = 1.0 / 21.0;
        s = s * f2 + 1.0 / 19.0;
        s = s * f2 + 1.0 / 17.0;
        s = s * f2 + 1.0 / 15.0;
        s = s * f2 + 1.0 / 13.0;
        s = s * f2 + 1.0 / 11.0;
        s = s * f2 + 1.0 / 9.0;
        s = s * f2 + 1.0 / 7.0;
        s = s * f2 + 1.0 / 5.0;
        s = s * f2 + 1.0 / 3.0;
        s = s * f2 + 1.0;
        return exponent * Ln2 + 2.0 * f * s;
    }

    /// <summary>sin and cos of 2π·b/2³², for a 32-bit integer b (the uniform variate of Box-Muller).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (double Sin, double Cos) SinCosTurns(uint b)
    {
        // Quadrant from the top two bits; the remaining 30 bits are the exact fraction of the quadrant.
        uint quadrant = b >> 30;
        double frac = (b & 0x3FFFFFFFu) * (1.0 / 1073741824.0);
        if (frac >= 0.5)
        {
            frac -= 1.0;
            quadrant = (quadrant + 1) & 3;
        }
        double x = frac * HalfPi; // |x| <= π/4
        double x2 = x * x;
        // Taylor to x^17 / x^16: truncation error < 1e-19 on |x| <= π/4.
        double sin = 1.0 / 355687428096000.0;             // 1/17!
        sin = sin * x2 - 1.0 / 1307674368000.0;           // 1/15!
        sin = sin * x2 + 1.0 / 6227020800.0;              // 1/13!
        sin = sin * x2 - 1.0 / 39916800.0;                // 1/11!
        sin = sin * x2 + 1.0 / 362880.0;                  // 1/9!
        sin = sin * x2 - 1.0 / 5040.0;                    // 1/7!
        sin = sin * x2 + 1.0 / 120.0;                     // 1/5!
        sin = sin * x2 - 1.0 / 6.0;
        sin = sin * x2 + 1.0;
        sin *= x;
        double cos = 1.0 / 20922789888000.0;              // 1/16!
        cos = cos * x2 - 1.0 / 87178291200.0;             // 1/14!
        cos = cos * x2 + 1.0 / 479001600.0;               // 1/12!
        cos = cos * x2 - 1.0 / 3628800.0;                 // 1/10!
        cos = cos * x2 + 1.0 / 40320.0;                   // 1/8!
        cos = cos * x2 - 1.0 / 720.0;                     // 1/6!
        cos = cos * x2 + 1.0 / 24.0;
        cos = cos * x2 - 0.5;
        cos = cos * x2 + 1.0;
        return quadrant switch
        {
            0 => (sin, cos),
            1 => (cos, -sin),
            2 => (-sin, -cos),
            _ => (-cos, sin),
        };
    }
}
