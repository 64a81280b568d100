import ArgumentParser
import DingSync

struct FieldsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fields",
        abstract: "Show a form's components and print a mapping snippet for it, from real instances.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "An instance id to read the form from (repeatable).")
    var instance: [String] = []

    @Option(help: "Sample the N most recent instances and merge their components.")
    var sample: Int?

    mutating func validate() throws {
        if instance.isEmpty == (sample == nil) { throw ValidationError("give either --instance ID or --sample N") }
        if let sample, !(1...100).contains(sample) { throw ValidationError("--sample must be between 1 and 100") }
    }

    func run() throws {
        let code = FieldsCommandBody.run(.live(), global.settings, instanceIds: instance, sample: sample)
        if code != 0 { throw ExitCode(code) }
    }
}
