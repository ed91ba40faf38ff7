namespace ResearchKit.Attacks.SideChannel;

/// <summary>How the attacker learns the gain a and offset b of the linear leakage y = a·logit + b + noise.</summary>
public enum LeakageCalibration
{
    /// <summary>The attacker knows a and b exactly (an upper bound on the attacker).</summary>
    Known,

    /// <summary>
    /// The attacker profiles a device it controls: it makes it output known logit values (spread evenly over the
    /// calibration range), acquires their leaky traces through the same noise and ADC, and fits a, b by least squares.
    /// The fit's error then biases every extracted logit, as a real profiling step would.
    /// </summary>
    Calibrated,
}
