/** What `f` throws (or rejects with); fails the test when it does not throw. */
export const thrown = async (f: () => Promise<unknown>): Promise<unknown> => {
  try {
    await f()
  } catch (error) {
    return error
  }
  throw new Error("expected an error")
}
