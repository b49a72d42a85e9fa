## Reference numbers for the design-based Dirichlet regression in
## survey/measures/allocation/dirichlet.py (tests/test_dirichlet.py).
## Run from anywhere:  Rscript tests/reference/allocation_dirichlet.R
## Writes tests/reference/allocation_dirichlet.json.
## R survey 4.1.1, jsonlite, base R optim; data: tests/data/allocation_test.csv.
##
## DirichletReg is not installable here (no Debian package), so this script
## fits the same model independently in base R: the design-weighted
## pseudo log-likelihood of the common parametrisation log(alpha_j) = x' beta_j
## (R DirichReg(Y ~ age) with weights), maximised by optim(BFGS) with the
## analytic gradient; the observed information by optimHess (numerical
## derivative of the analytic gradient); the design covariance of the score
## totals by svytotal() of the per-row scores on the same design; and the
## sandwich solve(A) V solve(A) -- what svymle() reports.
## Response: valid rows (complete, parts add to 1000), closed, then
## DR_data's compression (y (n - 1) + 1/D) / n because of the ¥0 answers.
suppressMessages({library(survey); library(jsonlite)})
args <- commandArgs(FALSE)
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", args, value = TRUE))))
d <- read.csv(file.path(here, "..", "data", "allocation_test.csv"))
parts <- c("rainwater", "cooling", "carbon", "wildlife", "landscape",
           "farming", "health", "childhood", "community", "disaster")
Yall <- as.matrix(d[, parts])
d$valid <- complete.cases(Yall) & rowSums(Yall) == 1000
dv <- d[d$valid, ]
n <- nrow(dv); D <- length(parts)
Y <- as.matrix(dv[, parts]); Y <- Y / rowSums(Y); Y <- (Y * (n - 1) + 1 / D) / n
X <- model.matrix(~age, dv); w <- dv$wt; k <- ncol(X)

ll <- function(th) {
  A <- exp(X %*% matrix(th, ncol = D))
  sum(w * (lgamma(rowSums(A)) - rowSums(lgamma(A)) + rowSums((A - 1) * log(Y))))
}
scores <- function(th) {
  A <- exp(X %*% matrix(th, ncol = D))
  R <- digamma(rowSums(A)) - digamma(A) + log(Y)
  do.call(cbind, lapply(1:D, function(j) X * (A[, j] * R[, j])))   # part-major, term inner
}
gr <- function(th) colSums(w * scores(th))
m <- colSums(w * Y) / sum(w)
start <- as.vector(rbind(log(m * 10), matrix(0, k - 1, D)))
fit <- optim(start, ll, gr, method = "BFGS",
             control = list(fnscale = -1, reltol = 1e-15, maxit = 5000))
th <- fit$par
for (it in 1:5) {                      # Newton polish with the numerical Hessian
  H <- optimHess(th, ll, gr)
  th <- th - solve(H, gr(th))
}
H <- optimHess(th, ll, gr)
S <- matrix(0, nrow(d), length(th)); S[d$valid, ] <- scores(th)
colnames(S) <- paste0("s", seq_along(th))
d2 <- cbind(d, S)
des <- svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = d2)
tot <- svytotal(as.formula(paste("~", paste(colnames(S), collapse = "+"))), subset(des, valid))
V <- vcov(tot)
Ainv <- solve(-H)
sand <- Ainv %*% V %*% Ainv
out <- list(
  n = n, loglik = ll(th), max_abs_gradient = max(abs(gr(th))),
  terms = colnames(X), parts = parts,
  estimate = th, se = sqrt(diag(sand)), se_model = sqrt(diag(Ainv)),
  vcov_first_block = sand[1:k, 1:k]
)

## Replicate weights: a 3-part subcomposition (health, childhood, disaster) on
## the rows where it is complete and positive, Y ~ age, stratified jackknife
## (JKn); every replicate refitted by optim, variance by withReplicates().
q <- c("health", "childhood", "disaster")
Q <- as.matrix(d[, q]); d$ok3 <- complete.cases(Q) & rowSums(Q) > 0
fit3 <- function(wts, data, start = NULL) {
  Yq <- as.matrix(data[, q]); Yq <- Yq / rowSums(Yq)
  m <- nrow(Yq); Yq <- (Yq * (m - 1) + 1 / 3) / m          # DR_data compression (zeros present)
  Xq <- model.matrix(~age, data)
  f <- function(th) { A <- exp(Xq %*% matrix(th, ncol = 3))
    sum(wts * (lgamma(rowSums(A)) - rowSums(lgamma(A)) + rowSums((A - 1) * log(Yq)))) }
  g <- function(th) { A <- exp(Xq %*% matrix(th, ncol = 3))
    R <- digamma(rowSums(A)) - digamma(A) + log(Yq)
    as.vector(t(Xq) %*% (wts * A * R)) }
  if (is.null(start)) start <- as.vector(rbind(log(colMeans(Yq) * 5), matrix(0, 2, 3)))
  th <- optim(start, f, g, method = "BFGS", control = list(fnscale = -1, reltol = 1e-15, maxit = 5000))$par
  for (it in 1:3) th <- th - solve(optimHess(th, f, g), g(th))
  th
}
jkn <- subset(as.svrepdesign(svydesign(ids = ~1, strata = ~stratum, weights = ~wt, data = d),
                             type = "JKn"), ok3)
full3 <- fit3(weights(jkn, "sampling"), jkn$variables)
rep3 <- withReplicates(jkn, function(wts, data) fit3(wts, data, start = full3))
out$jkn_subcomposition <- list(parts = q, n = sum(d$ok3), estimate = full3,
                               se = unname(SE(rep3)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(here, "allocation_dirichlet.json"))
cat("wrote allocation_dirichlet.json\n")
