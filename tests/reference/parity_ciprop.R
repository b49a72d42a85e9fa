## Reference numbers for svyciprop parity (tests/test_parity_ciprop.py):
## degrees of freedom and Korn-Graubard n from the design before the rows
## missing the variable are dropped, and every interval method.
## Run from anywhere:  Rscript tests/reference/parity_ciprop.R
## Writes tests/reference/parity_ciprop.json.
## R 4.2.2, survey 4.1.1, jsonlite; data: the copies in tests/data
## (yrbs.csv.gz, nhanes.csv.gz from data(yrbs), data(nhanes)).
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)
yrbs <- dat("yrbs.csv.gz")
nhanes <- dat("nhanes.csv.gz")
out <- list(R = R.version.string, survey = as.character(packageVersion("survey")))
methods <- c("logit", "likelihood", "asin", "beta", "mean", "xlogit")

## R's likelihood interval interpolates a spline through profile points on a
## grid; this is the exact root of the same equation, with R's own deviance,
## dispersion and design effect: (dev(b) - dev(b_hat)) / dispersion =
## qt(alpha/2, df)^2 * cov.unscaled / naive.cov, with the IRLS run to
## convergence (glm's default stops at 1e-8 and takes naive.cov at the
## iterate before the last).
exact_likelihood <- function(design, formula, df, level = 0.95) {
  m <- eval(bquote(svyglm(.(formula[[2]]) ~ 1, design, family = quasibinomial,
                          control = glm.control(epsilon = 1e-15, maxit = 100))))
  W <- m$prior.weights; y <- m$y
  disp <- as.numeric(summary(m)$dispersion)
  lambda <- m$cov.unscaled[1, 1] / m$naive.cov[1, 1]
  cut <- qt((1 - level) / 2, df)^2 * lambda
  dev <- function(b) -2 * sum(W * (y * plogis(b, log.p = TRUE) + (1 - y) * plogis(-b, log.p = TRUE)))
  d0 <- dev(coef(m)[1])
  f <- function(b) (dev(b) - d0) / disp - cut
  b0 <- coef(m)[1]; se <- sqrt(m$cov.unscaled[1, 1])
  c(plogis(uniroot(f, c(b0 - 30 * se, b0), tol = 1e-14)$root),
    plogis(uniroot(f, c(b0, b0 + 30 * se), tol = 1e-14)$root))
}

one <- function(design) {
  res <- list(degf = degf(design), nrow = nrow(design))
  for (m in methods) {
    p <- svyciprop(~I(qn8 == 1), design, method = m, na.rm = TRUE)
    res[[m]] <- list(estimate = unname(as.vector(coef(p))), se = unname(as.vector(SE(p))),
                     ci = unname(as.vector(attr(p, "ci"))))
  }
  res
}
yd <- svydesign(id = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = yrbs)
out$yrbs <- one(yd)
out$yrbs$likelihood_exact <- exact_likelihood(yd, ~I(qn8 == 1), degf(yd))
## the rows with qn8 present: the df R used to get when NA rows were dropped first
out$yrbs$degf_nonmissing <- degf(subset(yd, !is.na(qn8)))
out$yrbs$n_nonmissing <- sum(!is.na(yrbs$qn8))
## at 90%
p90 <- svyciprop(~I(qn8 == 1), yd, method = "logit", level = 0.9, na.rm = TRUE)
out$yrbs$logit90 <- unname(as.vector(attr(p90, "ci")))

## by race: svyby subsets the design per group (rows dropped), so each
## group's df and n are the group's before NA rows are dropped
dn <- svydesign(id = ~SDMVPSU, strata = ~SDMVSTRA, weights = ~WTMEC2YR, nest = TRUE, data = nhanes)
byrace <- function(design) {
  res <- list(race = sort(unique(nhanes$race)),
              degf = sapply(sort(unique(nhanes$race)), function(r) degf(subset(design, race == r))),
              degf_nonmissing = sapply(sort(unique(nhanes$race)),
                                       function(r) degf(subset(design, race == r & !is.na(HI_CHOL)))))
  for (m in methods) {
    b <- svyby(~I(HI_CHOL == 1), ~race, design, svyciprop, method = m, vartype = "ci", na.rm = TRUE)
    res[[m]] <- list(estimate = unname(coef(b)), ci_low = unname(b[, 3]), ci_high = unname(b[, 4]))
  }
  res
}
out$nhanes_by_race <- byrace(dn)
out$nhanes_by_race$likelihood_exact <- lapply(sort(unique(nhanes$race)), function(r) {
  sub <- subset(dn, race == r)
  exact_likelihood(sub, ~I(HI_CHOL == 1), degf(sub))
})

## a replicate design (stratified jackknife): df = rank of the replicate weights - 1
jk <- as.svrepdesign(dn, type = "JKn")
out$nhanes_jkn <- list(degf = degf(jk))
for (m in methods) {
  p <- svyciprop(~I(HI_CHOL == 1), jk, method = m, na.rm = TRUE)
  out$nhanes_jkn[[m]] <- list(estimate = unname(as.vector(coef(p))), se = unname(as.vector(SE(p))),
                              ci = unname(as.vector(attr(p, "ci"))))
}
b <- svyby(~I(HI_CHOL == 1), ~race, jk, svyciprop, method = "beta", vartype = "ci", na.rm = TRUE)
out$nhanes_jkn$beta_by_race <- list(estimate = unname(coef(b)), ci_low = unname(b[, 3]), ci_high = unname(b[, 4]))

## a calibrated design: R keeps every row in a subset (zero weight), so the
## beta interval's n is the whole sample even within a group
pop <- aggregate(WTMEC2YR ~ agecat, nhanes, sum)
names(pop)[2] <- "Freq"
ps <- postStratify(dn, ~agecat, pop)
b <- svyby(~I(HI_CHOL == 1), ~race, ps, svyciprop, method = "beta", vartype = "ci", na.rm = TRUE)
out$nhanes_poststrat_beta <- list(estimate = unname(coef(b)), ci_low = unname(b[, 3]),
                                  ci_high = unname(b[, 4]), pop = pop$Freq,
                                  agecat = as.character(pop$agecat))
## likelihood on the calibrated design: svyglm keeps the NA rows at weight 0,
## which changes R's dispersion (0.9235 here)
p <- svyciprop(~I(HI_CHOL == 1), ps, method = "likelihood", na.rm = TRUE)
out$nhanes_poststrat_likelihood <- list(estimate = unname(as.vector(coef(p))),
                                        ci = unname(as.vector(attr(p, "ci"))),
                                        exact = exact_likelihood(ps, ~I(HI_CHOL == 1), degf(ps)),
                                        dispersion = as.numeric(summary(svyglm(I(HI_CHOL == 1) ~ 1, ps,
                                          family = quasibinomial))$dispersion))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "parity_ciprop.json"))
cat("wrote", file.path(here, "parity_ciprop.json"), "\n")
