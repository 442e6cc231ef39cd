@testable import LogPipeline
import Testing

@Suite struct LogSeverityTests {
    @Test func englishSeveritiesMapToThemselves() {
        for word in ["DEBUG", "DEBUG1", "DEBUG5", "LOG", "INFO", "NOTICE", "WARNING", "ERROR", "FATAL", "PANIC"] {
            #expect(LogSeverity.english(word) == word)
        }
        #expect(LogSeverity.english("ERROR"[...]) == "ERROR")
    }

    @Test func localisedSeveritiesMapToEnglish() {
        #expect(LogSeverity.english("FEHLER") == "ERROR")
        #expect(LogSeverity.english("WARNUNG") == "WARNING")
        #expect(LogSeverity.english("ATTENTION") == "WARNING")
        #expect(LogSeverity.english("ERREUR") == "ERROR")
        #expect(LogSeverity.english("FATALE") == "FATAL")
        #expect(LogSeverity.english("ОШИБКА") == "ERROR")
        #expect(LogSeverity.english("СООБЩЕНИЕ") == "LOG")
        #expect(LogSeverity.english("LOGG") == "LOG")
        #expect(LogSeverity.english("错误") == "ERROR")
        #expect(LogSeverity.english("比致命错误还过分的错误") == "PANIC")
        #expect(LogSeverity.english("치명적오류") == "FATAL")
        #expect(LogSeverity.english("ПОМИЛКА") == "ERROR")
    }

    @Test func georgianWordForNoticeAndWarningReadsAsWarning() {
        #expect(LogSeverity.english("გაფრთხილება") == "WARNING")
    }

    @Test func wordsThatAreNoSeverityAreNil() {
        #expect(LogSeverity.english("DETAIL") == nil)
        #expect(LogSeverity.english("error") == nil)
        #expect(LogSeverity.english("") == nil)
    }

    @Test func fieldLabelsInEveryLanguageMapToEnglish() {
        #expect(LogSeverity.fieldLabel("DETAIL") == "DETAIL")
        #expect(LogSeverity.fieldLabel("STATEMENT:  ") == "STATEMENT")
        #expect(LogSeverity.fieldLabel("ZUSAMMENHANG") == "CONTEXT")
        #expect(LogSeverity.fieldLabel("TIPP:") == "HINT")
        #expect(LogSeverity.fieldLabel("CONTEXTE :") == "CONTEXT")
        #expect(LogSeverity.fieldLabel("명령 구문") == "STATEMENT")
        #expect(LogSeverity.fieldLabel("쿼리:") == "QUERY")
        #expect(LogSeverity.fieldLabel("ORT") == "LOCATION")
        #expect(LogSeverity.fieldLabel("ПОЛОЖЕНИЕ") == "LOCATION")
        #expect(LogSeverity.fieldLabel("ERROR") == nil)
    }

    @Test func headTableMatchesBytesWithTheirSpacing() {
        let heads = LogSeverity.heads
        func head(_ text: String) -> LogSeverity.Head? {
            Array(text.utf8).withUnsafeBufferPointer { line in heads.match(line, at: 0).map { heads.heads[$0.pattern] } }
        }
        #expect(head("ERROR:  x") == .severity(english: "ERROR", localized: nil))
        #expect(head("FEHLER:  x") == .severity(english: "ERROR", localized: "FEHLER"))
        #expect(head("CONTEXTE :  x") == .label(.context))
        #expect(head("쿼리:SELECT 1") == .label(.query))
        // One space after the colon is read too (a hand-edited or re-written log); no space is not.
        let lenient = Array("ERROR: x".utf8).withUnsafeBufferPointer { heads.match($0, at: 0) }
        #expect(lenient?.textStart == 7)
        #expect(head("ERROR:x") == nil)
        #expect(head("LOGGING:  x") == nil)
        // Two spaces are taken, a third belongs to the text.
        let wide = Array("ERROR:   x".utf8).withUnsafeBufferPointer { heads.match($0, at: 0) }
        #expect(wide?.textStart == 8)
    }
}
