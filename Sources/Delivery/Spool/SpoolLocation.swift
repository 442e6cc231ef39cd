/// Where the spool lives in the state directory.
package enum SpoolLocation {
    /// `<state_dir>/spool.sqlite`.
    package static func path(stateDirectory: String) -> String {
        stateDirectory.hasSuffix("/") ? stateDirectory + "spool.sqlite" : stateDirectory + "/spool.sqlite"
    }
}
