/// Turning counter arrays back into the payload's column-keyed dictionaries.
enum SchemaColumns {
    /// `columns[i]: values[i]` for every value that is a number (NaN stands for SQL NULL and is left out).
    static func dictionary(_ columns: [String], _ values: [Double]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (column, value) in zip(columns, values) where !value.isNaN { result[column] = value }
        return result
    }

    /// The sum of the `picked` columns of `values`, NaN counted as 0.
    static func sum(_ values: [Double], at picked: [Int]) -> Double {
        picked.reduce(0) { total, index in
            index < values.count && !values[index].isNaN ? total + values[index] : total
        }
    }
}
