/**
 * A schema failure said for a person: every issue as `path: message` (`settings.host: Expected …`),
 * and the first issue's path as the field at fault. Pure (the page bundles it through the config
 * schemas).
 */
import { SchemaIssue } from "effect"

const issuesOf = SchemaIssue.makeFormatterStandardSchemaV1()

export interface IssueSummary {
  /** The path of the first issue that has one, dotted (`targets.0.weight`). */
  readonly field: string | undefined
  readonly message: string
}

export const summariseIssue = (issue: SchemaIssue.Issue): IssueSummary => {
  const issues = issuesOf(issue).issues.map((one) => ({ path: one.path?.map(String).join(".") ?? "", message: one.message }))
  return {
    field: issues.find((one) => one.path !== "")?.path,
    message: issues.map((one) => one.path === "" ? one.message : `${one.path}: ${one.message}`).join("; ")
  }
}
