import DingSyncMapping

/// The tool's version, as `--version` prints it and as the Stream gateway's `ua` reports it.
public enum DingSyncVersion {
    public static let text = "0.1.0"
}
