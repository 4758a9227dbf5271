/** Signs in through an app's sign-in form, as a user would. */
import type { Page } from 'playwright-core'

/**
 * Fills the form (fields labelled Username and Password, a Sign in button), submits it and waits
 * until the element with test id `shown.testId` contains `shown.text` (the app shows the user).
 */
export async function signIn(
  page: Page,
  username: string,
  password: string,
  shown: { testId: string; text: string },
): Promise<void> {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByTestId(shown.testId).filter({ hasText: shown.text }).waitFor()
}
