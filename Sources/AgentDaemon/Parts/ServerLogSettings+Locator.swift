package import Collectors
package import LogPipeline

extension ServerLogSettings {
    /// What ``LogLocator`` needs of the server's answer.
    package var locatorFacts: LogLocator.Server {
        LogLocator.Server(logDestination: logDestination, loggingCollector: loggingCollector, logDirectory: logDirectory,
                          clusterName: clusterName, configFile: configFile)
    }
}
