## Reference numbers for survey/design/regression.py (tests/test_regression.py).
## Run from anywhere:  Rscript tests/reference/regression_glm.R
## Writes tests/reference/regression_glm.json (and regression_jk1_weights.csv).
## R survey 4.1.1, jsonlite; data are the committed CSV copies in tests/data.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
dat <- function(f) read.csv(file.path(here, "..", "data", f), stringsAsFactors = TRUE)  # factors as in data(api)
apistrat <- dat("apistrat.csv")
apiclus1 <- dat("apiclus1.csv")

dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)

glm_out <- function(m) {
  s <- summary(m)
  ct <- coef(s)
  out <- list(
    terms = rownames(ct),
    estimate = unname(ct[, 1]), se = unname(ct[, 2]),
    t = unname(ct[, 3]), p = unname(ct[, 4]),
    vcov = unname(vcov(m)),
    df_resid = m$df.residual,
    ci95 = unname(confint(m)),            # Wald, t quantile with df.residual
    ci90 = unname(confint(m, level = 0.9)),
    n = length(m$y)
  )
  if (!is.null(attr(m, "deff"))) out$deff <- unname(diag(attr(m, "deff")))
  if (m$family$link == "logit") {
    out$odds_ratio <- unname(exp(coef(m)))
    out$or_ci95 <- unname(exp(confint(m)))
  }
  out
}

## glm() stops IRLS when the relative deviance change is < 1e-8 and returns the
## working weights of the penultimate iteration, so R's default logit/log-link
## standard errors carry an error of ~1e-7..1e-5.  The reference fits for those
## links use tight = glm.control(epsilon = 1e-14, maxit = 100); "_default" keeps
## one fit with R's defaults for a looser comparison.
tight <- glm.control(epsilon = 1e-14, maxit = 100)
ref <- list()
## 1. Linear model, stratified design (R help ?svyglm style)
m_strat <- svyglm(api00 ~ ell + meals + mobility, design = dstrat, deff = TRUE)
ref$strat_gaussian <- glm_out(m_strat)

## 2. Logistic (quasibinomial), one-stage cluster design with fpc
m_logit <- svyglm(sch.wide ~ ell + meals, design = dclus1, family = quasibinomial(), deff = TRUE,
                  control = tight)
ref$clus1_logit <- glm_out(m_logit)
ref$clus1_logit_default <- glm_out(svyglm(sch.wide ~ ell + meals, design = dclus1,
                                          family = quasibinomial(), deff = TRUE))

## 3. Categorical predictor + interaction, cluster design
m_cat <- svyglm(api00 ~ ell + stype + ell:stype, design = dclus1, deff = TRUE)
ref$clus1_categorical <- glm_out(m_cat)
rt <- regTermTest(m_cat, ~stype + ell:stype)
ref$clus1_categorical$regterm_stype <- list(F = unname(drop(rt$Ftest)), ndf = rt$df, ddf = rt$ddf, p = unname(drop(rt$p)))
rt_inf <- regTermTest(m_cat, ~stype, df = Inf)
ref$clus1_categorical$regterm_stype_chisq <- list(chisq = unname(drop(rt_inf$chisq)), df = rt_inf$df, p = unname(drop(rt_inf$p)))

## 4. Quasi-Poisson count model, stratified design
m_pois <- svyglm(enroll ~ meals + stype, design = dstrat, family = quasipoisson(), deff = TRUE,
                 control = tight)
ref$strat_quasipoisson <- glm_out(m_pois)

## 5. Missing values in a predictor (acs.k3 is NA for high schools): rows dropped
m_na <- svyglm(api00 ~ acs.k3 + ell, design = dclus1, deff = TRUE)
ref$clus1_missing <- glm_out(m_na)

## 6. Domain (subset keeps the design): middle schools only
m_dom <- svyglm(api00 ~ ell + meals, design = subset(dclus1, stype == "M"), deff = TRUE)
ref$clus1_domain_M <- glm_out(m_dom)

## 7. Calibrated designs: raking and post-stratification of dclus1
pop.types <- data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))
pop.schwide <- data.frame(sch.wide = c("No", "Yes"), Freq = c(1072, 5122))
## rake()'s default control (epsilon = 1 count, maxit = 10) stops before convergence
## (weights off by ~3e-5); iterate to convergence so the weights are the reference
dclus1r <- rake(dclus1, list(~stype, ~sch.wide), list(pop.types, pop.schwide),
                control = list(maxit = 1000, epsilon = 1e-10, verbose = FALSE))
ref$clus1_raked <- glm_out(svyglm(api00 ~ ell + meals + mobility, design = dclus1r))
ref$clus1_raked$weights <- unname(weights(dclus1r))
dclus1p <- postStratify(dclus1, ~stype, pop.types)
ref$clus1_poststrat <- glm_out(svyglm(api00 ~ ell + meals + mobility, design = dclus1p))
dclus1g <- calibrate(dclus1, ~stype + api99, c(`(Intercept)` = 6194, stypeH = 755, stypeM = 1018, api99 = 3914069))
ref$clus1_linear_cal <- glm_out(svyglm(api00 ~ ell + meals + mobility, design = dclus1g))
ref$clus1_linear_cal$weights <- unname(weights(dclus1g))

## 8. Replicate design: JK1 jackknife of dclus1 (weights exported for the test)
rclus1 <- as.svrepdesign(dclus1, type = "JK1")
ref$jk1_gaussian <- glm_out(svyglm(api00 ~ ell + meals + mobility, design = rclus1))
ref$jk1_logit <- glm_out(svyglm(sch.wide ~ ell + meals, design = rclus1, family = quasibinomial(),
                                 control = tight))
ref$jk1_scale <- rclus1$scale
ref$jk1_rscales <- rclus1$rscales
ref$jk1_degf <- degf(rclus1)
rw <- weights(rclus1, "analysis")
write.csv(rw, file.path(here, "regression_jk1_weights.csv"), row.names = FALSE)

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "regression_glm.json"))
